/**
 * The mutation behind a create or submit button. TanStack Query reports
 * `isPending` only on its next notify tick, so a fast double click sent two
 * requests (two workspaces, two keys …). `submit` refuses a second call while
 * one runs, from the click's own event handler, and `busy` disables the
 * button. Requests also carry an idempotency key that stays the same until
 * one succeeds, so the server creates once even if two do get through.
 */
import { useMutation, type UseMutationOptions } from '@tanstack/react-query';
import { useRef, useState } from 'react';

/** 128 random bits as hex; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function useSubmit<TData, TVariables = void>(
  mutationFn: (variables: TVariables, idempotencyKey: string) => Promise<TData>,
  options: Omit<UseMutationOptions<TData, Error, TVariables>, 'mutationFn'> = {},
) {
  const running = useRef(false);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());
  const mutation = useMutation<TData, Error, TVariables>({
    ...options,
    mutationFn: (variables) => mutationFn(variables, key.current),
    onSuccess: (...args) => {
      key.current = newIdempotencyKey();
      return options.onSuccess?.(...args);
    },
    onSettled: (...args) => {
      running.current = false;
      setBusy(false);
      return options.onSettled?.(...args);
    },
  });
  const submit = (variables: TVariables) => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    mutation.mutate(variables);
  };
  return { ...mutation, submit, busy: busy || mutation.isPending };
}

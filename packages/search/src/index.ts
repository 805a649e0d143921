export * from './types.js';
export * from './snippets.js';
export * from './fusion.js';
export { createSearchService, type SearchService, type SearchServiceDeps, type RetrievedPassage, type RetrieveRequest, type ActiveSpace, type PassageView } from './service.js';
export { defaultKeywordOptions, type KeywordOptions } from './keyword.js';
export { defaultSemanticOptions, semanticCandidates, chooseSemanticPlan, type SemanticOptions, type SemanticPlan } from './semantic.js';
export * from './answers/answers.js';
export { buildAnswerPrompt, NO_ANSWER_SENTENCE, type AnswerPrompt } from './answers/prompt.js';
export { extractSentences, type ExtractiveOptions } from './answers/extractive.js';

/** The exceptions domain as other domains see it (the policy engine uses activeExceptions). */

export { registerExceptionRoutes } from './exception-routes.js';
export {
  EXCEPTION_STATUSES,
  EXCEPTION_TYPES,
  type ExceptionStatus,
  type ExceptionType,
  SCOPE_KIND,
} from './exception-rules.js';
export {
  type ActiveException,
  type ExceptionListFilters,
  type ExceptionRequest,
  ExceptionService,
  type ExceptionServiceDeps,
} from './exception-service.js';
export type {
  Exception,
  ExceptionScope,
  ExceptionState,
  ExceptionVersion,
} from './exception-view.js';

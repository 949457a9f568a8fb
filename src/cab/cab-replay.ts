/**
 * Rebuilds a CAB request's state from its audit events alone, through the same state
 * machine the service uses: what an auditor can do offline with an exported bundle, and
 * what the property test checks against the stored request.
 */
import { type CabStatus, FINAL_STATUSES } from './cab-rules.js';

export interface ReplayEvent {
  event_type: string;
  data: Record<string, unknown>;
}

export interface ReplayedRequest {
  status: CabStatus;
  approvals: number;
  denials: number;
  stale: number;
  comments: number;
}

/** Throws on a sequence the machine cannot produce (a move out of a final state, …). */
export function replayRequest(events: readonly ReplayEvent[]): ReplayedRequest {
  const [first, ...rest] = events;
  if (first?.event_type !== 'cab.request.submitted') {
    throw new Error('a request’s history starts with cab.request.submitted');
  }
  const state: ReplayedRequest = {
    status: 'pending',
    approvals: 0,
    denials: 0,
    stale: 0,
    comments: 0,
  };
  const from = (event: ReplayEvent) => {
    if (FINAL_STATUSES.includes(state.status)) {
      throw new Error(`${event.event_type} after the request was already ${state.status}`);
    }
  };
  for (const event of rest) {
    switch (event.event_type) {
      case 'cab.vote.cast':
        from(event);
        if (event.data.decision === 'approve') state.approvals += 1;
        else state.denials += 1;
        break;
      case 'cab.request.decided':
        from(event);
        state.status = event.data.to as CabStatus;
        break;
      case 'cab.request.superseded':
        from(event);
        state.status = 'superseded';
        break;
      case 'cab.request.stale':
        from(event);
        state.stale += 1;
        break;
      case 'cab.comment.added':
        state.comments += 1;
        break;
      default:
        // Condition verifications and post-reviews record facts beside the state.
        break;
    }
  }
  return state;
}

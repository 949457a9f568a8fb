/** A date in the browser's locale; the exact UTC instant in the title (and machine-readable). */
export function DateTime({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span>—</span>;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return <span>{iso}</span>;
  const utc = date.toISOString();
  return (
    <time dateTime={utc} title={utc}>
      {date.toLocaleString()}
    </time>
  );
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** How long ago, e.g. "3 hours ago", in the browser's locale; the UTC instant in the title. */
export function Age({ iso, now = Date.now() }: { iso: string; now?: number }) {
  const date = new Date(iso);
  const utc = date.toISOString();
  const elapsed = now - date.getTime();
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const unit = UNITS.find(([, ms]) => Math.abs(elapsed) >= ms);
  const text = unit
    ? format.format(-Math.floor(elapsed / unit[1]), unit[0])
    : format.format(0, 'minute');
  return (
    <time dateTime={utc} title={`${utc} (${date.toLocaleString()})`}>
      {text}
    </time>
  );
}

const STATUS_LABEL: Record<string, string> = {
  pending: 'Pending',
  auto_approved: 'Auto-approved',
  approved: 'Approved',
  approved_with_conditions: 'Approved with conditions',
  denied: 'Denied',
  superseded: 'Superseded',
};

export function statusLabel(status: string): string {
  return STATUS_LABEL[status] ?? status;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{statusLabel(status)}</span>;
}

export function BandBadge({ band, score }: { band: string; score?: number }) {
  return (
    <span className={`badge band band-${band.toLowerCase()}`}>
      {score !== undefined ? `${score} ` : ''}
      {band}
    </span>
  );
}

/** The short form of an opaque id, the whole id in the title. */
export function ShortId({ id }: { id: string }) {
  return (
    <code title={id} className="id">
      {id.length > 14 ? `${id.slice(0, 12)}…` : id}
    </code>
  );
}

export function humanize(name: string): string {
  const spaced = name.replace(/_/g, ' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** A user by email when the API knows it, the id in the title (and shown when there is no email). */
export function Person({ id, email }: { id: string; email: string | null | undefined }) {
  if (!email) return <ShortId id={id} />;
  return (
    <span title={id} className="person">
      {email}
    </span>
  );
}

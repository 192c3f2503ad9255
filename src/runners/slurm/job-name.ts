/**
 * Job names say whose they are, so that a restarted driver can find what its predecessor left:
 * `autoresearch-<tag>-<trial>-<sample>`. Characters that Slurm tools handle badly become `_`.
 */
export function jobName(tag: string, trial: number, sample: string): string {
  return `${jobNamePrefix(tag)}${trial}-${sanitize(sample)}`;
}

function jobNamePrefix(tag: string): string {
  return `autoresearch-${sanitize(tag)}-`;
}

function sanitize(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** Whether `name` is the name of a run of the research tagged `tag` (and not of a tag that merely starts alike). */
export function isJobNameOf(name: string, tag: string): boolean {
  const prefix = jobNamePrefix(tag);
  return name.startsWith(prefix) && /^\d+-\d+$/.test(name.slice(prefix.length));
}

/**
 * k3s' component arguments: its defaults for a part, overridden by the `<part>-arg` config items
 * (`kube-apiserver-arg`, `kube-controller-manager-arg`, `etcd-arg`, `kubelet-arg`), each `key=value` (a
 * leading `--` is dropped) and becoming `--key=value`; an item whose key is a default replaces it, others
 * are appended in order (pkg/daemons/config GetArgs, which k3s uses for every embedded part).
 */
export function componentArgs(defaults: Record<string, string>, extra: readonly string[]): string[] {
  const merged = new Map(Object.entries(defaults));
  for (const item of extra) {
    const text = item.replace(/^--/, '');
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq);
    merged.delete(key);
    merged.set(key, eq < 0 ? 'true' : text.slice(eq + 1));
  }
  return [...merged].map(([k, v]) => `--${k}=${v}`);
}

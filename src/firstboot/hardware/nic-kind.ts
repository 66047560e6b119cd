/** Which interface names are software interfaces, not hardware: bridges, veths, tunnels, overlays. */
const VIRTUAL_NIC =
  /^(lo|docker\d*|br-.*|veth.*|cni.*|flannel.*|tun.*|tap.*|virbr.*|vxlan.*|cali.*|kube-.*|ifb\d*|dummy.*|wg\d*|zt.*|tailscale\d*|vnet\d*|lxcbr\d*|lxdbr\d*|podman\d*|bond.*|team.*|sit\d*|ip6tnl\d*|gre.*|erspan.*|nm-.*)$/;

export function isVirtualNicName(name: string): boolean {
  return VIRTUAL_NIC.test(name);
}

/**
 * NIC models (DESIGN §4): whether the NIC can replicate one multicast group to several
 * queues (stacks), and how many hardware filters it has. Sources: Onload User Guide
 * "Multicast-Replication" and "Resources"; oof_filters.c (oof_mcast_conflicted_hwports).
 */
export interface NicModel {
  name: string;
  replication: boolean;
  /** Hardware filter table entries; undefined where the config must say (af_xdp). */
  filterTable: number | undefined;
  /** Socket offload: the NIC terminates UDP and hands payloads to the host (path offload). */
  offload: boolean;
  description: string;
}

export const NIC_MODELS: Readonly<Record<string, NicModel>> = {
  sfn6122f: { name: 'sfn6122f', replication: false, filterTable: 4096, offload: false, description: 'Solarflare SFN6122F (Siena): no multicast replication, the classic EF_NAME trap' },
  sfn8522: { name: 'sfn8522', replication: true, filterTable: 4096, offload: false, description: 'Solarflare SFN8522 (EF10): multicast replication' },
  x2522: { name: 'x2522', replication: true, filterTable: 16384, offload: false, description: 'Xilinx X2522 (EF10): multicast replication, large filter table' },
  x3522: { name: 'x3522', replication: true, filterTable: 256, offload: false, description: 'AMD X3522: multicast replication, small filter table' },
  inic: {
    name: 'inic', replication: true, filterTable: 4096, offload: true,
    description: 'a socket-offload NIC (the Intel iNIC / TOE design): it terminates UDP and hands payloads to the host through the socket layer (receive: offload), and replicates multicast to stacks, ef_vi and the kernel',
  },
  af_xdp: { name: 'af_xdp', replication: false, filterTable: undefined, offload: false, description: 'a generic NIC under Onload\'s AF_XDP support: no multicast replication' },
};

export function describeNic(m: NicModel, filterTable: number): string {
  return `${m.name} (${m.replication ? 'multicast replication' : 'no multicast replication'}, ${filterTable} filters${m.offload ? ', socket offload' : ''})`;
}

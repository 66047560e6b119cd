/**
 * The wire patterns of nucmesh: what a node ID, fleet ID, cluster ID, MAC and a whole number
 * look like wherever they travel between nodes (advert TXT records, down notices, API
 * requests). One definition each, used by the TXT validators in discovery and the API
 * schemas alike.
 */

/** A node ID: lowercase letters, digits and dashes, at most 63 (a DNS label). */
export const NODE_ID = /^[0-9a-z][0-9a-z-]{0,62}$/;
/** A fleet ID: 16 hex digits (see fleetId() in fleet-crypto.ts). */
export const FLEET_ID = /^[0-9a-f]{16}$/;
/** A cluster ID, or empty before the node belongs to a cluster. */
export const CLUSTER_ID = /^[0-9a-z-]{0,64}$/;
/** A base64url HMAC-SHA256 (43 characters): advert signatures, notice MACs, heartbeat proofs. */
export const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
/** A whole number in decimal without leading zeros (generations, ports), at most 16 digits. */
export const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
/** The Kubernetes label keys nucmesh owns on its nodes (hardware labels): it sets and removes only these. */
export const LABEL_PREFIX = 'nucmesh.io/';

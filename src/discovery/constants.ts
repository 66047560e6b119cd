/** Names and limits of the nucmesh DNS-SD service, shared by advertiser, browser and CLI. */
export const SERVICE_TYPE = '_nucmesh._tcp';
export const SERVICE_DOMAIN = `${SERVICE_TYPE}.local`;
/** Advert protocol version carried in the TXT record (`v`). */
export const PROTOCOL_VERSION = 1;
/** RFC 6763 §6.1: each TXT string is at most 255 bytes. */
export const MAX_TXT_STRING = 255;
/** Our whole TXT record stays well under one packet's budget. */
export const MAX_TXT_TOTAL = 400;

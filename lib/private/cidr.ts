import { isIPv6 } from 'node:net';

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;

/** Why `cidr` is not a CIDR block a security group takes, or undefined when it is one. */
export function cidrProblem(cidr: string): string | undefined {
  const [address, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  if (IPV4_CIDR.test(cidr)) {
    const value = address.split('.').reduce((n, octet) => n * 256n + BigInt(octet), 0n);
    return hostBits(value, 32, prefix);
  }
  if (IPV6_CIDR.test(cidr) && isIPv6(address)) {
    // An IPv4-mapped tail (::ffff:10.0.0.1) is valid; its host bits are left to EC2.
    if (address.includes('.')) return undefined;
    return hostBits(ipv6Value(address), 128, prefix);
  }
  return 'which is not a CIDR block (expected e.g. 10.0.0.0/16)';
}

function hostBits(value: bigint, width: number, prefix: number): string | undefined {
  const hostMask = (1n << BigInt(width - prefix)) - 1n;
  if ((value & hostMask) === 0n) return undefined;
  const network = value & ~hostMask;
  const shown = width === 32 ? [24n, 16n, 8n, 0n].map((shift) => String((network >> shift) & 255n)).join('.') : undefined;
  return `whose address has host bits set beyond the /${prefix} prefix${shown ? ` (the block is ${shown}/${prefix})` : ''}; give the block's network address`;
}

function ipv6Value(address: string): bigint {
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = address.includes('::') ? [...groups(head), ...Array(missing).fill('0'), ...groups(tail)] : groups(head);
  return all.reduce((n, group) => (n << 16n) + BigInt(parseInt(group, 16)), 0n);
}

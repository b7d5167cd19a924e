// The DER of the two X.509 certificates `airgap serve --self-signed` makes (RFC 5280):
// a CA and a server certificate it signs, both ECDSA P-256 with SHA-256. Pure bytes in,
// bytes out: key generation and signing happen in src/adapters/tls/self-signed.ts.

export interface CertificateFields {
  /** Positive, at most 20 bytes. */
  serial: Uint8Array;
  issuerCommonName: string;
  subjectCommonName: string;
  notBefore: Date;
  notAfter: Date;
  /** The subject's public key as SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  /** A CA (basicConstraints CA:TRUE, pathlen 0, keyCertSign) or a TLS server certificate. */
  role: 'ca' | 'server';
  /** Server: the names it serves (SAN): DNS names and IP addresses (v4 or v6 text). */
  dnsNames?: string[];
  ipAddresses?: string[];
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** The TBSCertificate the issuer's key signs. */
export function tbsCertificate(f: CertificateFields): Buffer {
  const extensions =
    f.role === 'ca'
      ? [
          extension(OID.basicConstraints, true, seq(bool(true), int(Buffer.from([0])))),
          // keyCertSign and cRLSign: bits 5 and 6.
          extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0x01, 0x06]))),
        ]
      : [
          extension(OID.basicConstraints, true, seq()),
          // digitalSignature: bit 0.
          extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0x07, 0x80]))),
          extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
          extension(OID.subjectAltName, false, seq(...subjectAltNames(f))),
        ];
  return seq(
    tlv(0xa0, int(Buffer.from([2]))),
    int(Buffer.from(f.serial)),
    seq(oid(OID.ecdsaWithSha256)),
    name(f.issuerCommonName),
    seq(time(f.notBefore), time(f.notAfter)),
    name(f.subjectCommonName),
    Buffer.from(f.spki),
    tlv(0xa3, seq(...extensions)),
  );
}

/** The certificate: the TBS, the algorithm, and the issuer's DER ECDSA signature over the TBS. */
export function certificate(tbs: Uint8Array, signature: Uint8Array): Buffer {
  return seq(
    Buffer.from(tbs),
    seq(oid(OID.ecdsaWithSha256)),
    tlv(0x03, Buffer.concat([Buffer.from([0]), signature])),
  );
}

export function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function subjectAltNames(f: CertificateFields): Buffer[] {
  const out: Buffer[] = [];
  for (const d of f.dnsNames ?? []) out.push(tlv(0x82, Buffer.from(d, 'ascii')));
  for (const ip of f.ipAddresses ?? []) out.push(tlv(0x87, ipBytes(ip)));
  return out;
}

function ipBytes(ip: string): Buffer {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and write eight 16-bit groups.
  const [head = '', tail] = ip.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), tlv(0x04, value)) : seq(oid(id), tlv(0x04, value));
}

function name(cn: string): Buffer {
  return seq(tlv(0x31, seq(oid(OID.commonName), tlv(0x0c, Buffer.from(cn, 'utf8')))));
}

function time(d: Date): Buffer {
  const iso = d.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii'))
    : tlv(0x18, Buffer.from(digits, 'ascii'));
}

function int(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  return tlv(0x02, (b[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function bool(v: boolean): Buffer {
  return tlv(0x01, Buffer.from([v ? 0xff : 0]));
}

function oid(text: string): Buffer {
  const n = text.split('.').map(Number);
  const out = [40 * n[0]! + n[1]!];
  for (const v of n.slice(2)) {
    const chunk = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) chunk.unshift((x & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function tlv(tag: number, value: Buffer): Buffer {
  const len = value.length;
  let header: number[];
  if (len < 0x80) header = [tag, len];
  else {
    const bytes: number[] = [];
    for (let x = len; x > 0; x >>>= 8) bytes.unshift(x & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), value]);
}

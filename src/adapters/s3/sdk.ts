// The AWS SDK's S3 client, loaded with require(): the package is CommonJS, and an
// ESM `import` of it first runs Node's CommonJS export lexer over its 270 KB bundle
// (to find the named exports) on every start, ~80 ms of CPU, and enough source for
// the lexer to be compiled by the optimizing compiler besides. Types come from the
// package as usual (type-only imports are erased).

import { createRequire } from 'node:module';

type Sdk = typeof import('@aws-sdk/client-s3');

const sdk = createRequire(import.meta.url)('@aws-sdk/client-s3') as Sdk;

export const {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} = sdk;
export type S3Client = InstanceType<Sdk['S3Client']>;

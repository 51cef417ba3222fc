// The package's main entry ("."): the whole library API plus the embed API.
export * from '../index';
export * from './index';

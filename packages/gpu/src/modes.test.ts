// probeWebGpu with a stand-in `navigator.gpu`: what it reports for no adapter, a failing
// request, a hardware adapter and a software (fallback) adapter.
import { afterEach, describe, expect, it } from 'vitest';
import { probeWebGpu } from './modes.js';

const original = Object.getOwnPropertyDescriptor(globalThis, 'navigator');

afterEach(() => {
  if (original) Object.defineProperty(globalThis, 'navigator', original);
  else delete (globalThis as { navigator?: unknown }).navigator;
});

describe('probeWebGpu', () => {
  it('reports no adapter as unavailable, with advice for the runtime it runs in (Node here)', async () => {
    const probe = await probeWebGpu({ gpu: { requestAdapter: () => Promise.resolve(null) } });
    expect(probe.available).toBe(false);
    expect(probe.description).toMatch(/found no adapter/);
    expect(probe.description).toMatch(/VK_DRIVER_FILES/);
    expect(probe.description).not.toMatch(/chrome:\/\/gpu/);
  });

  it('reports a request that throws as unavailable, with the error', async () => {
    const probe = await probeWebGpu({ gpu: { requestAdapter: () => Promise.reject(new Error('device lost')) } });
    expect(probe).toEqual({ available: false, software: false, description: expect.stringMatching(/requestAdapter failed: .*device lost/) as unknown });
  });

  it('describes a hardware adapter from its info and a fallback adapter as software', async () => {
    const hardware = await probeWebGpu({ gpu: { requestAdapter: () => Promise.resolve({ info: { vendor: 'nvidia', architecture: 'hopper' } }) } });
    expect(hardware).toEqual({ available: true, software: false, description: 'nvidia hopper' });
    const fallback = await probeWebGpu({ gpu: { requestAdapter: () => Promise.resolve({ isFallbackAdapter: true, info: { vendor: 'google' } }) } });
    expect(fallback).toMatchObject({ available: true, software: true });
    const swiftShader = await probeWebGpu({ gpu: { requestAdapter: () => Promise.resolve({ info: { description: 'SwiftShader Device (Subzero)' } }) } });
    expect(swiftShader.software).toBe(true);
  });
});

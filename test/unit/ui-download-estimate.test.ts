// The model panel's download time estimate (the rest of the panel is tested in Chromium).
import { describe, expect, it } from 'vitest';
import { describeDownloadTime, estimateDownload } from '../../src/ui/model-panel';

describe('download time estimate', () => {
  it('extrapolates the speed seen since the download started', () => {
    // 10 % at the first report, 30 % four seconds later: 20 s for the whole download, 14 s left.
    expect(estimateDownload({ at: 1000, fraction: 0.1 }, 5000, 0.3)).toEqual({ totalMs: 20_000, leftMs: 14_000 });
  });

  it('says nothing until bytes have flowed, or once all have', () => {
    expect(estimateDownload({ at: 1000, fraction: 0.1 }, 1000, 0.1)).toBeUndefined();
    expect(estimateDownload({ at: 1000, fraction: 0.1 }, 3000, 0.1)).toBeUndefined();
    expect(estimateDownload({ at: 1000, fraction: 0.1 }, 3000, undefined)).toBeUndefined();
    expect(estimateDownload({ at: 1000, fraction: 0.1 }, 3000, 1)).toBeUndefined();
  });

  it('in words', () => {
    expect(describeDownloadTime({ totalMs: 20_000, leftMs: 14_000 })).toBe('This may take less than a minute on your connection (about 14.0 s left).');
    expect(describeDownloadTime({ totalMs: 65_000, leftMs: 30_000 })).toBe('This may take about 1 minute on your connection (about 30.0 s left).');
    expect(describeDownloadTime({ totalMs: 12 * 60_000, leftMs: 190_000 })).toBe('This may take about 12 minutes on your connection (about 3 min 10 s left).');
  });
});

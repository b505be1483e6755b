/** Order statistics without a full sort. */

/**
 * The k-th smallest (0-based) of a[0..n), as a sorted copy's [k] would be; reorders that part of a.
 * Quickselect with a median-of-three pivot and a Hoare partition: linear time on average, where a
 * sort was the larger part of the work (floor detection, depth quantiles). NaN sorts last, as in a
 * typed array's sort.
 */
export function kthSmallest(a: Float32Array | Float64Array, k: number, n: number = a.length): number {
  for (let i = 0; i < n; i++) if (a[i] !== a[i]) return a.slice(0, n).sort()[k];
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const p = Math.max(Math.min(a[lo], a[mid]), Math.min(Math.max(a[lo], a[mid]), a[hi]));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

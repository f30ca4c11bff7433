import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706'];

/**
 * A uPlot line chart of series over steps. data: [xs, ys1, ys2, ...] (null where a series has no point);
 * redrawn in place when data changes.
 */
export function Chart({ title, labels, data, id }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const opts = {
      title,
      width: Math.max(320, box.current.clientWidth),
      height: 240,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, { size: 60 }],
      series: [
        { label: 'step' },
        // eval points are few (one per eval_steps): drawn larger so that they stand out from the train loss
        ...labels.map((label, i) => ({
          label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          spanGaps: true,
          points: { show: true, size: label.startsWith('eval') ? 9 : 4, fill: COLORS[i % COLORS.length] },
        })),
      ],
    };
    plot.current = new uPlot(opts, data, box.current);
    const resize = () => plot.current.setSize({ width: Math.max(320, box.current.clientWidth), height: 240 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.current.destroy();
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  return <div class="chart" id={id} data-points={data[0].length} ref={box} />;
}

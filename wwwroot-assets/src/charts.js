// One small interop module for every chart: Blazor creates, updates and destroys ApexCharts
// instances through these three functions and never touches ApexCharts itself.
// ApexCharts is loaded as a classic script (wwwroot/lib/apexcharts/apexcharts.min.js).

const charts = new WeakMap();

// ApexCharts' own dark theme would replace foreColor and background, so the palette is set here.
function themed(options, dark) {
  const text = dark ? '#cbd5e1' : '#334155';
  return {
    noData: { text: 'No data in this range', style: { color: text } },
    ...options,
    chart: { background: 'transparent', foreColor: text, toolbar: { show: false }, animations: { enabled: false }, ...(options.chart || {}) },
    grid: { borderColor: dark ? '#334155' : '#e2e8f0', ...(options.grid || {}) },
    tooltip: { theme: dark ? 'dark' : 'light', ...(options.tooltip || {}) },
  };
}

export function create(element, options, dark) {
  if (!window.ApexCharts) {
    element.textContent = 'Charts are unavailable: ApexCharts did not load.';
    return;
  }
  // Never two charts in one element.
  destroy(element);
  const chart = new window.ApexCharts(element, themed(options, dark));
  charts.set(element, chart);
  return chart.render();
}

export function update(element, options, dark) {
  const chart = charts.get(element);
  if (!chart) {
    return create(element, options, dark);
  }
  return chart.updateOptions(themed(options, dark), false, false);
}

export function destroy(element) {
  const chart = charts.get(element);
  if (chart) {
    chart.destroy();
    charts.delete(element);
  }
}

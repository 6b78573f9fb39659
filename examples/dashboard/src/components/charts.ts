//! Chart.js with only the parts the dashboard draws (line and bar charts), so the bundle
//! carries no other chart type.
import {
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from 'chart.js'

Chart.register(BarElement, CategoryScale, Filler, Legend, LineElement, LinearScale, PointElement, Tooltip)
Chart.defaults.color = '#1f2933'
Chart.defaults.font.family = 'system-ui, sans-serif'


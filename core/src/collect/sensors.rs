//! Sensor windows: samples at any rate are folded, on the device, into one summary per sensor,
//! axis and window (count, min, max, mean, variance). Memory is fixed per sensor whatever the
//! rate: each axis keeps five numbers, and a window is handed out as soon as a later sample
//! closes it.

use std::time::Duration;

/// The most sensors one aggregator tracks; more is almost certainly a bug in the caller.
pub const MAX_SENSORS: usize = 64;
/// Axes per sample (x, y, z; a scalar sensor uses one).
pub const MAX_AXES: usize = 4;

/// One axis of one window, accumulated with Welford's method (stable for long windows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AxisSummary {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Population variance of the window's samples.
    pub variance: f64,
}

#[derive(Debug, Clone, Copy)]
struct Accumulator {
    count: u64,
    min: f64,
    max: f64,
    mean: f64,
    m2: f64,
}

impl Accumulator {
    const EMPTY: Accumulator = Accumulator {
        count: 0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        mean: 0.0,
        m2: 0.0,
    };

    #[inline]
    fn add(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    fn summary(&self) -> AxisSummary {
        AxisSummary {
            count: self.count,
            min: self.min,
            max: self.max,
            mean: self.mean,
            variance: if self.count > 0 {
                self.m2 / self.count as f64
            } else {
                0.0
            },
        }
    }
}

/// A closed window of one sensor.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSummary {
    pub sensor: String,
    /// Start of the window, milliseconds since the Unix epoch (a multiple of the window).
    pub start_ms: u64,
    pub window_ms: u64,
    pub axes: Vec<AxisSummary>,
}

#[derive(Debug)]
struct Sensor {
    name: String,
    axes: usize,
    start_ms: Option<u64>,
    acc: [Accumulator; MAX_AXES],
}

/// A sensor's handle in an [`Aggregator`]: registering once makes each sample a plain index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorId(usize);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SensorError {
    #[error("at most {MAX_SENSORS} sensors")]
    TooManySensors,
    #[error("a sensor has 1 to {MAX_AXES} axes")]
    BadAxes,
    #[error("sample for an unregistered sensor")]
    UnknownSensor,
    #[error("sensor {sensor} has {expected} axes, the sample {got}")]
    AxisMismatch {
        sensor: String,
        expected: usize,
        got: usize,
    },
}

#[derive(Debug)]
pub struct Aggregator {
    window_ms: u64,
    sensors: Vec<Sensor>,
}

impl Aggregator {
    pub fn new(window: Duration) -> Aggregator {
        Aggregator {
            window_ms: u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1),
            sensors: Vec::new(),
        }
    }

    /// Registers (or finds) a sensor by name.
    pub fn sensor(&mut self, name: &str, axes: usize) -> Result<SensorId, SensorError> {
        if !(1..=MAX_AXES).contains(&axes) {
            return Err(SensorError::BadAxes);
        }
        if let Some(i) = self.sensors.iter().position(|s| s.name == name) {
            return if self.sensors[i].axes == axes {
                Ok(SensorId(i))
            } else {
                Err(SensorError::AxisMismatch {
                    sensor: name.to_owned(),
                    expected: self.sensors[i].axes,
                    got: axes,
                })
            };
        }
        if self.sensors.len() == MAX_SENSORS {
            return Err(SensorError::TooManySensors);
        }
        self.sensors.push(Sensor {
            name: name.to_owned(),
            axes,
            start_ms: None,
            acc: [Accumulator::EMPTY; MAX_AXES],
        });
        Ok(SensorId(self.sensors.len() - 1))
    }

    /// Adds one sample taken at `at_ms`. A sample past the sensor's open window closes it and
    /// returns its summary. Non-finite values are skipped; a sample older than the open
    /// window (clocks do step back) is folded into it.
    #[inline]
    pub fn add(
        &mut self,
        id: SensorId,
        at_ms: u64,
        values: &[f64],
    ) -> Result<Option<WindowSummary>, SensorError> {
        let window_ms = self.window_ms;
        let sensor = self
            .sensors
            .get_mut(id.0)
            .ok_or(SensorError::UnknownSensor)?;
        if values.len() != sensor.axes {
            return Err(SensorError::AxisMismatch {
                sensor: sensor.name.clone(),
                expected: sensor.axes,
                got: values.len(),
            });
        }
        let start = at_ms - at_ms % window_ms;
        let closed = match sensor.start_ms {
            Some(open) if start > open => Some(close(sensor, window_ms)),
            _ => None,
        };
        if sensor.start_ms.is_none() {
            sensor.start_ms = Some(start);
        }
        for (acc, &x) in sensor.acc.iter_mut().zip(values) {
            if x.is_finite() {
                acc.add(x);
            }
        }
        Ok(closed.flatten())
    }

    /// Closes every open window (at flush or shutdown).
    pub fn close_all(&mut self) -> Vec<WindowSummary> {
        let window_ms = self.window_ms;
        self.sensors
            .iter_mut()
            .filter_map(|s| close(s, window_ms))
            .collect()
    }
}

/// Ends `sensor`'s open window; `None` if nothing was in it.
fn close(sensor: &mut Sensor, window_ms: u64) -> Option<WindowSummary> {
    let start_ms = sensor.start_ms.take()?;
    let axes: Vec<AxisSummary> = sensor.acc[..sensor.axes]
        .iter()
        .map(Accumulator::summary)
        .collect();
    sensor.acc = [Accumulator::EMPTY; MAX_AXES];
    (axes[0].count > 0 || axes.iter().any(|a| a.count > 0)).then(|| WindowSummary {
        sensor: sensor.name.clone(),
        start_ms,
        window_ms,
        axes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(xs: &[f64]) -> AxisSummary {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        AxisSummary {
            count: xs.len() as u64,
            min: xs.iter().copied().fold(f64::INFINITY, f64::min),
            max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mean,
            variance: xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n,
        }
    }

    fn close_enough(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()))
    }

    proptest! {
        #[test]
        fn windows_match_a_naive_computation(
            samples in proptest::collection::vec((0u64..5_000, -1e3f64..1e3, -1e3f64..1e3), 1..400)
        ) {
            let mut samples = samples;
            samples.sort_by_key(|s| s.0);
            let mut agg = Aggregator::new(Duration::from_millis(1000));
            let id = agg.sensor("accel", 2).unwrap();
            let mut windows = Vec::new();
            for &(t, x, y) in &samples {
                windows.extend(agg.add(id, t, &[x, y]).unwrap());
            }
            windows.extend(agg.close_all());
            let mut starts: Vec<u64> = samples.iter().map(|s| s.0 - s.0 % 1000).collect();
            starts.dedup();
            prop_assert_eq!(windows.len(), starts.len());
            for w in &windows {
                let xs: Vec<f64> = samples.iter().filter(|s| s.0 - s.0 % 1000 == w.start_ms).map(|s| s.1).collect();
                let ys: Vec<f64> = samples.iter().filter(|s| s.0 - s.0 % 1000 == w.start_ms).map(|s| s.2).collect();
                for (got, want) in w.axes.iter().zip([naive(&xs), naive(&ys)]) {
                    prop_assert_eq!(got.count, want.count);
                    prop_assert_eq!(got.min, want.min);
                    prop_assert_eq!(got.max, want.max);
                    prop_assert!(close_enough(got.mean, want.mean), "{} vs {}", got.mean, want.mean);
                    prop_assert!(close_enough(got.variance, want.variance), "{} vs {}", got.variance, want.variance);
                }
            }
        }
    }

    #[test]
    fn memory_is_fixed_at_ten_kilohertz() {
        let mut agg = Aggregator::new(Duration::from_secs(60));
        let id = agg.sensor("accel", 3).unwrap();
        let size = size_of_val(&agg.sensors[0]);
        let capacity = agg.sensors.capacity();
        let mut closed = 0;
        // Ten minutes at 10 kHz: six million samples, ten windows.
        for i in 0..6_000_000u64 {
            let t = i / 10;
            let x = (i % 97) as f64;
            if agg.add(id, t, &[x, -x, 0.5]).unwrap().is_some() {
                closed += 1;
            }
            assert_eq!(agg.sensors.len(), 1);
            assert_eq!(agg.sensors.capacity(), capacity);
        }
        assert_eq!(closed, 9);
        assert_eq!(agg.close_all().len(), 1);
        assert_eq!(size_of_val(&agg.sensors[0]), size);
    }

    #[test]
    fn bad_input_is_typed() {
        let mut agg = Aggregator::new(Duration::from_secs(1));
        assert_eq!(agg.sensor("x", 0), Err(SensorError::BadAxes));
        let id = agg.sensor("gyro", 3).unwrap();
        assert!(matches!(
            agg.add(id, 0, &[1.0]),
            Err(SensorError::AxisMismatch { .. })
        ));
        assert!(matches!(
            agg.sensor("gyro", 2),
            Err(SensorError::AxisMismatch { .. })
        ));
        assert_eq!(
            agg.add(SensorId(9), 0, &[1.0]),
            Err(SensorError::UnknownSensor)
        );
        for i in 1..MAX_SENSORS {
            agg.sensor(&format!("s{i}"), 1).unwrap();
        }
        assert_eq!(agg.sensor("one more", 1), Err(SensorError::TooManySensors));
        // NaN is skipped, not poison.
        agg.add(id, 5, &[f64::NAN, 1.0, 2.0]).unwrap();
        let w = agg.close_all().remove(0);
        assert_eq!(w.axes[0].count, 0);
        assert_eq!(w.axes[1].count, 1);
    }
}

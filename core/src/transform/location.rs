use super::TransformError;

/// The default grid cell: about a kilometre, enough to tell the town, not the street.
pub const DEFAULT_CELL_M: f64 = 1000.0;

/// Metres per degree of latitude (and of longitude at the equator).
const METRES_PER_DEGREE: f64 = 111_320.0;
/// Decimals kept in the output: 1e-5 degrees is about a metre, far finer than any cell, so
/// rounding hides float noise without hinting at the original position.
const DECIMALS: f64 = 1e5;

/// The centre of the grid cell, about `cell_m` metres on a side, that holds (`lat`, `lon`).
///
/// Cells are `cell_m` tall; their width in degrees grows towards the poles so that they stay
/// at least `cell_m` wide, and is chosen to divide 360° evenly, so the cells on both sides of
/// the antimeridian line up and ±180° fall in the same cell. Close to a pole, where a
/// longitude says next to nothing, it is dropped (set to 0).
pub fn coarsen_location(lat: f64, lon: f64, cell_m: f64) -> Result<(f64, f64), TransformError> {
    if !(cell_m.is_finite() && cell_m > 0.0) {
        return Err(TransformError::InvalidParameter {
            name: "cell_m",
            reason: format!("must be a positive number of metres, not {cell_m}"),
        });
    }
    if !(lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon))
    {
        return Err(TransformError::InvalidLocation);
    }
    let lat_step = (cell_m / METRES_PER_DEGREE).min(180.0);
    let rows = (180.0 / lat_step).ceil();
    let row = ((lat + 90.0) / lat_step).floor().min(rows - 1.0);
    let centre_lat = (-90.0 + (row + 0.5) * lat_step).min(90.0);

    let metres_per_lon_degree = METRES_PER_DEGREE * centre_lat.to_radians().cos();
    let columns = (360.0 * metres_per_lon_degree / cell_m).floor();
    let centre_lon = if columns < 2.0 {
        0.0
    } else {
        let lon_step = 360.0 / columns;
        let column = ((lon + 180.0) / lon_step).floor().rem_euclid(columns);
        -180.0 + (column + 0.5) * lon_step
    };
    Ok((round(centre_lat), round(centre_lon)))
}

fn round(degrees: f64) -> f64 {
    // Adding 0.0 turns -0.0 into 0.0, so the output never hints at the side of zero.
    (degrees * DECIMALS).round() / DECIMALS + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metres_between((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
        let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
        let dp = p2 - p1;
        let dl = (lon2 - lon1).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * 6_371_000.0 * a.sqrt().asin()
    }

    fn coarse(lat: f64, lon: f64) -> (f64, f64) {
        coarsen_location(lat, lon, DEFAULT_CELL_M).unwrap()
    }

    #[test]
    fn the_centre_is_near_and_shared_within_a_cell() {
        for (lat, lon) in [
            (52.520_008, 13.404_954),
            (0.0, 0.0),
            (-33.868_82, 151.209_29),
            (64.1466, -21.9426),
        ] {
            let c = coarse(lat, lon);
            assert!(
                metres_between((lat, lon), c) <= DEFAULT_CELL_M * 1.5,
                "{lat},{lon} -> {c:?}"
            );
            assert_ne!(c, (lat, lon));
        }
        assert_eq!(coarse(52.520_008, 13.404_954), coarse(52.520_1, 13.405_1));
    }

    #[test]
    fn poles_and_the_antimeridian_stay_in_range() {
        for (lat, lon) in [
            (90.0, 0.0),
            (-90.0, 0.0),
            (89.9999, 45.0),
            (90.0, 180.0),
            (0.0, 180.0),
            (0.0, -180.0),
            (0.0, 179.9999),
            (0.0, -179.9999),
        ] {
            let (clat, clon) = coarse(lat, lon);
            assert!((-90.0..=90.0).contains(&clat), "{lat},{lon} -> {clat}");
            assert!((-180.0..180.0).contains(&clon), "{lat},{lon} -> {clon}");
        }
        assert_eq!(
            coarse(90.0, 123.0).1,
            0.0,
            "longitude means nothing at the pole"
        );
        assert_eq!(
            coarse(0.0, 180.0),
            coarse(0.0, -180.0),
            "±180 is one meridian"
        );
        assert!(metres_between((0.0, 179.9999), coarse(0.0, 179.9999)) <= DEFAULT_CELL_M * 1.5);
    }

    #[test]
    fn negative_zero_and_cell_size() {
        assert_eq!(coarse(-0.0, -0.0), coarse(0.0, 0.0));
        assert!(round(-0.0).is_sign_positive() && round(-0.000_001).is_sign_positive());
        let fine = coarsen_location(52.52, 13.40, 100.0).unwrap();
        let wide = coarsen_location(52.52, 13.40, 50_000.0).unwrap();
        assert!(metres_between((52.52, 13.40), fine) <= 150.0);
        assert!(metres_between((52.52, 13.40), wide) <= 75_000.0);
    }

    #[test]
    fn bad_input_is_refused() {
        for (lat, lon) in [
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
            (90.1, 0.0),
            (0.0, -180.1),
        ] {
            assert_eq!(
                coarsen_location(lat, lon, 1000.0),
                Err(TransformError::InvalidLocation)
            );
        }
        for cell in [0.0, -1.0, f64::NAN] {
            assert!(matches!(
                coarsen_location(0.0, 0.0, cell),
                Err(TransformError::InvalidParameter { .. })
            ));
        }
    }

    proptest::proptest! {
        #[test]
        fn output_is_always_in_range(lat in -90.0f64..=90.0, lon in -180.0f64..=180.0, cell in 1.0f64..1e7) {
            let (clat, clon) = coarsen_location(lat, lon, cell).unwrap();
            proptest::prop_assert!((-90.0..=90.0).contains(&clat) && (-180.0..180.0).contains(&clon));
        }
    }
}

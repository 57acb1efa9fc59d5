//! What the detector keeps of each frame: a thumbnail of block means of the three planes and
//! the luma histogram's cumulative distribution, a few kilobytes whatever the frame size.

/// Thumbnail columns: each is the mean of a block of the plane, whatever its aspect.
pub const GRID_W: usize = 32;
/// Thumbnail rows.
pub const GRID_H: usize = 18;
const CELLS: usize = GRID_W * GRID_H;
/// Luma histogram bins (4 code values each).
const BINS: usize = 64;

/// One 8-bit plane, rows `stride` bytes apart.
#[derive(Debug, Clone, Copy)]
pub struct Plane<'a> {
    /// The samples, at least `stride * (height - 1) + width` of them.
    pub data: &'a [u8],
    /// Samples per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Bytes from one row to the next.
    pub stride: usize,
}

impl Plane<'_> {
    /// Whether the plane's sizes fit its data (and it is not empty).
    fn is_valid(&self) -> bool {
        self.width > 0
            && self.height > 0
            && self.stride >= self.width
            && self.data.len() >= self.stride * (self.height - 1) + self.width
    }
}

/// The features of one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// Block means of luma, then Cb, then Cr, `GRID_W x GRID_H` each, row by row.
    cells: Vec<f32>,
    /// Share of luma samples at or below each histogram bin (the last is 1).
    cdf: Vec<f32>,
}

impl Features {
    /// The features of a frame given as its Y, Cb and Cr planes; `None` when a plane's sizes
    /// do not fit its data.
    pub fn from_planes(y: Plane, u: Plane, v: Plane) -> Option<Features> {
        if !(y.is_valid() && u.is_valid() && v.is_valid()) {
            return None;
        }
        let mut cells = Vec::with_capacity(3 * CELLS);
        let mut histogram = [0u64; BINS];
        block_means(y, &mut cells, Some(&mut histogram));
        block_means(u, &mut cells, None);
        block_means(v, &mut cells, None);
        let total = histogram.iter().sum::<u64>().max(1) as f64;
        let mut below = 0u64;
        let cdf = histogram
            .iter()
            .map(|&n| {
                below += n;
                (below as f64 / total) as f32
            })
            .collect();
        Some(Features { cells, cdf })
    }

    /// The features of a decoded 8-bit 4:2:0 frame; `None` for other layouts.
    pub fn from_frame(frame: &ffmpeg_next::frame::Video) -> Option<Features> {
        if frame.planes() < 3 {
            return None;
        }
        let plane = |i: usize| Plane {
            data: frame.data(i),
            width: frame.plane_width(i) as usize,
            height: frame.plane_height(i) as usize,
            stride: frame.stride(i),
        };
        Features::from_planes(plane(0), plane(1), plane(2))
    }

    /// How different two frames look, from 0 (the same thumbnails and histograms) to 100.
    ///
    /// The mean of two measures in percent of the 8-bit range: the thumbnails' mean absolute
    /// difference (luma counted twice, each chroma plane once), which sees what changed
    /// where; and the distance the luma histogram moved (the earth mover's distance), which
    /// sees a change of content but hardly the same content moving.
    pub fn distance(&self, other: &Features) -> f64 {
        let weights = [2.0, 1.0, 1.0];
        let mut sum = 0.0f64;
        for (plane, weight) in weights.iter().enumerate() {
            let range = plane * CELLS..(plane + 1) * CELLS;
            let diff: f64 = self.cells[range.clone()]
                .iter()
                .zip(&other.cells[range])
                .map(|(a, b)| f64::from((a - b).abs()))
                .sum();
            sum += weight * diff;
        }
        let cells = sum / (4.0 * CELLS as f64) / 255.0 * 100.0;
        let moved: f64 = self
            .cdf
            .iter()
            .zip(&other.cdf)
            .map(|(a, b)| f64::from((a - b).abs()))
            .sum();
        // Each bin is 4 code values wide.
        let histogram = moved * 4.0 / 255.0 * 100.0;
        (cells + histogram) / 2.0
    }
}

/// Append the `GRID_W x GRID_H` block means of `plane` to `out`, and count its samples into
/// `histogram` when given, each sample once. A plane smaller than the grid repeats samples
/// across cells.
fn block_means(plane: Plane, out: &mut Vec<f32>, mut histogram: Option<&mut [u64; BINS]>) {
    // Cell i of n along a side of `len` samples covers span(i).0..span(i).1, never empty.
    let span = |i: usize, n: usize, len: usize| {
        let start = (i * len / n).min(len - 1);
        (start, ((i + 1) * len / n).clamp(start + 1, len))
    };
    let columns: Vec<(usize, usize)> = (0..GRID_W).map(|c| span(c, GRID_W, plane.width)).collect();
    let mut counted_rows = 0;
    for gy in 0..GRID_H {
        let (top, bottom) = span(gy, GRID_H, plane.height);
        let mut sums = [0u64; GRID_W];
        for row in top..bottom {
            let line = &plane.data[row * plane.stride..row * plane.stride + plane.width];
            // The histogram samples every other row and column, each once.
            if let Some(h) = histogram.as_deref_mut().filter(|_| row >= counted_rows) {
                if row % 2 == 0 {
                    for &s in line.iter().step_by(2) {
                        h[usize::from(s >> 2)] += 1;
                    }
                }
                counted_rows = row + 1;
            }
            for (sum, &(start, end)) in sums.iter_mut().zip(&columns) {
                // A row's part fits in 32 bits, which vectorises better.
                *sum += u64::from(line[start..end].iter().map(|&s| u32::from(s)).sum::<u32>());
            }
        }
        let rows = (bottom - top) as f32;
        out.extend(
            sums.iter()
                .zip(&columns)
                .map(|(&s, &(start, end))| s as f32 / (rows * (end - start) as f32)),
        );
    }
}

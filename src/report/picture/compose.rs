//! Putting pictures together: crops, nearest-neighbour zoom, labelled tiles in a grid, and
//! the window where a set of pictures differ most.

use super::text;
use crate::error::{Error, Result};
use crate::measure::metrics::Plane;
use image::{Rgb, RgbImage};
use plotters::style::RGBColor;
use serde::{Deserialize, Serialize};

/// A rectangle of a picture, pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge, pixels from the picture's left.
    pub x: u32,
    /// Top edge, pixels from the picture's top.
    pub y: u32,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

/// The part of `picture` inside `rect` (which must lie inside it).
pub fn crop(picture: &RgbImage, rect: Rect) -> RgbImage {
    image::imageops::crop_imm(picture, rect.x, rect.y, rect.width, rect.height).to_image()
}

/// `picture` enlarged `factor` times, every pixel a `factor` x `factor` square.
pub fn zoom(picture: &RgbImage, factor: u32) -> RgbImage {
    let f = factor.max(1);
    RgbImage::from_fn(picture.width() * f, picture.height() * f, |x, y| {
        *picture.get_pixel(x / f, y / f)
    })
}

/// `picture` shrunk (or grown) to `width` pixels wide, its aspect kept (Lanczos).
pub fn fit_width(picture: &RgbImage, width: u32) -> RgbImage {
    let height =
        (u64::from(picture.height()) * u64::from(width) / u64::from(picture.width())).max(1) as u32;
    image::imageops::resize(
        picture,
        width,
        height,
        image::imageops::FilterType::Lanczos3,
    )
}

/// Draw the outline of `rect`, `thickness` pixels wide inside it, in `colour`.
pub fn outline(picture: &mut RgbImage, rect: Rect, thickness: u32, colour: Rgb<u8>) {
    let (w, h) = picture.dimensions();
    let x1 = (rect.x + rect.width).min(w);
    let y1 = (rect.y + rect.height).min(h);
    for y in rect.y..y1 {
        for x in rect.x..x1 {
            let edge = x < rect.x + thickness
                || x + thickness >= x1
                || y < rect.y + thickness
                || y + thickness >= y1;
            if edge {
                picture.put_pixel(x, y, colour);
            }
        }
    }
}

/// The window of `width` x `height` (clamped to the planes) where the planes differ most
/// from one another: the largest sum over its pixels of the variance across the planes
/// (all of one size). Ties go to the first window in raster order.
pub fn most_different(planes: &[Plane<'_>], width: usize, height: usize) -> Rect {
    let (pw, ph) = planes.first().map_or((0, 0), |p| (p.width(), p.height()));
    let (ww, wh) = (width.min(pw), height.min(ph));
    if planes.len() < 2 || ww == 0 || wh == 0 {
        return Rect {
            x: 0,
            y: 0,
            width: ww as u32,
            height: wh as u32,
        };
    }
    let k = planes.len() as u64;
    // Integral image of k^2 times each pixel's variance: k * sum(x^2) - sum(x)^2, exact.
    let stride = pw + 1;
    let mut integral = vec![0u64; stride * (ph + 1)];
    for y in 0..ph {
        let rows: Vec<&[u8]> = planes.iter().map(|p| p.row(y)).collect();
        let mut run = 0u64;
        for x in 0..pw {
            let (mut s, mut ss) = (0u64, 0u64);
            for r in &rows {
                let v = u64::from(r[x]);
                s += v;
                ss += v * v;
            }
            run += k * ss - s * s;
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + run;
        }
    }
    let sum = |x: usize, y: usize| {
        integral[(y + wh) * stride + x + ww] + integral[y * stride + x]
            - integral[y * stride + x + ww]
            - integral[(y + wh) * stride + x]
    };
    let mut best = (0u64, 0usize, 0usize);
    for y in 0..=ph - wh {
        for x in 0..=pw - ww {
            let s = sum(x, y);
            if s > best.0 {
                best = (s, x, y);
            }
        }
    }
    Rect {
        x: best.1 as u32,
        y: best.2 as u32,
        width: ww as u32,
        height: wh as u32,
    }
}

/// A picture with lines of text under it.
pub struct Tile {
    /// The picture.
    pub picture: RgbImage,
    /// The lines of text drawn under it, top first.
    pub label: Vec<String>,
}

/// Text size of the labels, pixels.
pub const LABEL_SIZE: u32 = 15;
/// Space around and between tiles, pixels.
const GAP: u32 = 8;
const BACKGROUND: Rgb<u8> = Rgb([32, 32, 32]);
const TEXT: RGBColor = RGBColor(235, 235, 235);

fn label_height(lines: usize) -> u32 {
    lines as u32 * LABEL_SIZE * 5 / 4 + GAP
}

/// The tiles in rows of `columns` on a dark background, each labelled under its picture
/// in the font at `font`, the labels wrapped to the tiles' width. Each cell is as wide as
/// the widest picture and as tall as the tallest picture plus the longest label.
pub fn grid(tiles: &[Tile], columns: usize, font: &std::path::Path) -> Result<RgbImage> {
    let columns = columns.clamp(1, tiles.len().max(1));
    let rows = tiles.len().div_ceil(columns);
    let cell_w = tiles.iter().map(|t| t.picture.width()).max().unwrap_or(0);
    text::with_font(font, || {
        let labels: Vec<Vec<String>> = tiles
            .iter()
            .map(|t| text::wrap(&t.label, cell_w.saturating_sub(2), LABEL_SIZE))
            .collect::<Result<_>>()?;
        let lines = labels.iter().map(Vec::len).max().unwrap_or(0);
        let picture_h = tiles.iter().map(|t| t.picture.height()).max().unwrap_or(0);
        let cell_h = picture_h + label_height(lines);
        let width = GAP + columns as u32 * (cell_w + GAP);
        let height = GAP + rows as u32 * (cell_h + GAP);
        let mut out = RgbImage::from_pixel(width, height, BACKGROUND);
        for (i, (tile, label)) in tiles.iter().zip(&labels).enumerate() {
            let x = GAP + (i % columns) as u32 * (cell_w + GAP);
            let y = GAP + (i / columns) as u32 * (cell_h + GAP);
            image::imageops::replace(&mut out, &tile.picture, i64::from(x), i64::from(y));
            let text_y = y + tile.picture.height() + GAP / 2;
            text::draw_lines(&mut out, label, (x as i32, text_y as i32), LABEL_SIZE, TEXT)?;
        }
        Ok(out)
    })
}

/// `picture` as PNG bytes.
pub fn png(picture: &RgbImage) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut bytes),
        picture.as_raw(),
        picture.width(),
        picture.height(),
        image::ColorType::Rgb8,
    )
    .map_err(|e| Error::Picture {
        what: "encoding a PNG".into(),
        cause: e.to_string(),
    })?;
    Ok(bytes)
}

/// Write `picture` as a PNG at `path`, atomically.
pub fn write_png(path: &std::path::Path, picture: &RgbImage) -> Result<()> {
    crate::util::atomic::write_atomic(path, ".pertitle-png-", &png(picture)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_repeats_every_pixel() {
        let p = RgbImage::from_fn(3, 2, |x, y| Rgb([x as u8, y as u8, 7]));
        let z = zoom(&p, 2);
        assert_eq!(z.dimensions(), (6, 4));
        for (x, y, px) in z.enumerate_pixels() {
            assert_eq!(*px, *p.get_pixel(x / 2, y / 2));
        }
    }

    #[test]
    fn most_different_matches_brute_force() {
        let (w, h): (usize, usize) = (23, 17);
        let make = |seed: u32| -> Vec<u8> {
            (0..w * h)
                .map(|i| {
                    let (x, y) = (i % w, i / w);
                    // Alike everywhere but a patch near (15, 9), where they differ by seed.
                    let base = ((x * 13 + y * 7) % 97) as u32;
                    let near = x.abs_diff(15) < 3 && y.abs_diff(9) < 3;
                    (base + if near { seed * 40 } else { seed % 2 }) as u8
                })
                .collect()
        };
        let data: Vec<Vec<u8>> = (0..4).map(make).collect();
        let planes: Vec<Plane<'_>> = data.iter().map(|d| Plane::new(d, w, w, h)).collect();
        let (ww, wh) = (6, 4);
        let got = most_different(&planes, ww, wh);
        // Brute force: the variance across planes summed over every window, in f64.
        let var_at = |x: usize, y: usize| {
            let v: Vec<f64> = data.iter().map(|d| f64::from(d[y * w + x])).collect();
            let m = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|a| (a - m).powi(2)).sum::<f64>()
        };
        let mut best = (f64::MIN, 0, 0);
        for y in 0..=h - wh {
            for x in 0..=w - ww {
                let s: f64 = (y..y + wh)
                    .flat_map(|yy| (x..x + ww).map(move |xx| (xx, yy)))
                    .map(|(xx, yy)| var_at(xx, yy))
                    .sum();
                if s > best.0 + 1e-9 {
                    best = (s, x, y);
                }
            }
        }
        assert_eq!((got.x as usize, got.y as usize), (best.1, best.2));
        assert_eq!((got.width, got.height), (6, 4));
        // The window covers the patch.
        assert!(got.x as usize <= 13 && got.x as usize + ww >= 17, "{got:?}");
    }

    #[test]
    fn grid_places_tiles_and_labels() {
        let font = std::path::Path::new(text::DEFAULT_FONT);
        if !font.exists() {
            eprintln!("skipped: no font at {}", font.display());
            return;
        }
        let tile = |c: u8| Tile {
            picture: RgbImage::from_pixel(40, 30, Rgb([c, c, c])),
            label: vec!["one".into(), "two".into()],
        };
        let g = grid(&[tile(255), tile(128), tile(0)], 2, font).unwrap();
        // A label wider than its tile is wrapped onto more lines.
        let long = Tile {
            picture: RgbImage::from_pixel(40, 30, Rgb([9, 9, 9])),
            label: vec!["a label far wider than forty pixels".into()],
        };
        let wrapped = grid(&[long], 1, font).unwrap();
        assert!(
            wrapped.height() >= 30 + label_height(4),
            "{}",
            wrapped.height()
        );
        let cell_h = 30 + label_height(2);
        assert_eq!(
            g.dimensions(),
            (GAP + 2 * (40 + GAP), GAP + 2 * (cell_h + GAP))
        );
        assert_eq!(*g.get_pixel(GAP + 5, GAP + 5), Rgb([255, 255, 255]));
        assert_eq!(
            *g.get_pixel(2 * GAP + 40 + 5, GAP + 5),
            Rgb([128, 128, 128])
        );
        // Text was drawn in the label band under the first tile.
        let band = (GAP..GAP + 40).flat_map(|x| (GAP + 30..GAP + cell_h).map(move |y| (x, y)));
        assert!(
            band.into_iter()
                .any(|(x, y)| *g.get_pixel(x, y) != BACKGROUND)
        );
    }
}

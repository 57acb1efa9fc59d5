//! Text drawn into pictures and PNG plots, in a TrueType font read from a file.

use crate::error::{Error, Result};
use image::RgbImage;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The font used by default (Debian package `fonts-dejavu-core`).
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
/// The family name text is drawn in once [`with_font`] has registered the file.
pub const FAMILY: &str = "sans-serif";

/// Font files read so far (plotters needs them for the life of the program).
static FONTS: Mutex<BTreeMap<PathBuf, &'static [u8]>> = Mutex::new(BTreeMap::new());

/// Run `draw` with the TrueType font at `font` registered as [`FAMILY`]. plotters keeps one
/// global font table, so it is held for the whole of `draw`. Fails when the file is missing
/// or not a font.
pub fn with_font<T>(font: &Path, draw: impl FnOnce() -> Result<T>) -> Result<T> {
    let mut fonts = FONTS.lock().unwrap_or_else(|e| e.into_inner());
    let bytes: &'static [u8] = match fonts.get(font) {
        Some(b) => b,
        None => {
            let data = std::fs::read(font).map_err(|e| {
                Error::io(
                    font,
                    std::io::Error::new(
                        e.kind(),
                        format!(
                            "cannot read the font for the picture's text ({e}; Debian package fonts-dejavu-core provides {DEFAULT_FONT})"
                        ),
                    ),
                )
            })?;
            let leaked: &'static [u8] = Box::leak(data.into_boxed_slice());
            fonts.insert(font.to_path_buf(), leaked);
            leaked
        }
    };
    plotters::style::register_font(FAMILY, FontStyle::Normal, bytes).map_err(|_| {
        Error::io(
            font,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not a TrueType or OpenType font",
            ),
        )
    })?;
    let out = draw();
    drop(fonts);
    out
}

/// `lines` broken into lines of at most `width` pixels at `size` pixels high: at spaces,
/// or anywhere in a word longer than the width. Call inside [`with_font`].
pub fn wrap(lines: &[String], width: u32, size: u32) -> Result<Vec<String>> {
    let font = (FAMILY, f64::from(size)).into_font();
    let fits = |text: &str| -> Result<bool> {
        let (w, _) = font.box_size(text).map_err(|e| Error::Picture {
            what: "measuring text".into(),
            cause: format!("{e:?}"),
        })?;
        Ok(w <= width)
    };
    let mut out = Vec::new();
    for line in lines {
        let mut current = String::new();
        for word in line.split(' ') {
            let joined = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if fits(&joined)? {
                current = joined;
                continue;
            }
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            // The word alone, broken where it does not fit.
            for c in word.chars() {
                let longer = format!("{current}{c}");
                if !current.is_empty() && !fits(&longer)? {
                    out.push(std::mem::replace(&mut current, c.to_string()));
                } else {
                    current = longer;
                }
            }
        }
        out.push(current);
    }
    Ok(out)
}

/// Draw `lines` of text `size` pixels high in `colour` into `picture`, the first line's top
/// left corner at (`x`, `y`). Call inside [`with_font`].
pub fn draw_lines(
    picture: &mut RgbImage,
    lines: &[String],
    (x, y): (i32, i32),
    size: u32,
    colour: RGBColor,
) -> Result<()> {
    let (w, h) = picture.dimensions();
    let root = BitMapBackend::with_buffer(picture.as_mut(), (w, h)).into_drawing_area();
    let style = TextStyle::from((FAMILY, f64::from(size)).into_font())
        .color(&colour)
        .pos(Pos::new(HPos::Left, VPos::Top));
    let step = (size * 5 / 4) as i32;
    for (i, line) in lines.iter().enumerate() {
        root.draw_text(line, &style, (x, y + i as i32 * step))
            .map_err(drawing_text)?;
    }
    root.present().map_err(drawing_text)
}

/// A failure to draw text, as ours.
fn drawing_text(e: impl std::fmt::Display) -> Error {
    Error::Picture {
        what: "drawing text".into(),
        cause: e.to_string(),
    }
}

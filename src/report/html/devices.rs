//! The report's section on device classes (`optimize --devices`): each class's own
//! rate-quality plot, and every rung's quality on every class.

use super::*;

/// The device section of ladder `l`, when the run scored device classes.
pub(super) fn section(w: &mut String, m: &Manifest, l: &CodecLadder, tag: &str) -> Result<()> {
    let devices = &m.settings.devices;
    if devices.is_empty() {
        return Ok(());
    }
    out!(
        w,
        "<h2>{tag}Quality per device</h2>\n<p>Each device class judges quality its own way: VMAF by its model at its display, with the source and every encode resized to that display. A phone's model forgives more than a TV's, so the same rung scores higher on a phone, and its hull flattens earlier.</p>\n"
    );
    out!(
        w,
        "<table class=\"rungs\">\n<tr><th>#</th><th>resolution</th><th>bitrate (kbit/s)</th>"
    );
    for d in devices {
        out!(
            w,
            "<th>{} <small>({} at {})</small></th>",
            esc(&d.name),
            esc(&d.model.to_string()),
            d.display
        );
    }
    out!(w, "</tr>\n");
    for (i, r) in l.rungs.iter().enumerate() {
        out!(
            w,
            "<tr><td>{}</td><td>{}x{}</td><td>{}</td>",
            i + 1,
            r.width,
            r.height,
            num(r.bitrate_kbps, 1)
        );
        for d in devices {
            let q = r.pooling.get(&d.key).map(|p| p.mean);
            out!(w, "<td>{}</td>", opt(q, 2));
        }
        out!(w, "</tr>\n");
    }
    out!(w, "</table>\n");
    for d in devices {
        out!(
            w,
            "<figure>\n{}\n<figcaption>{}: every trial encode, the upper convex hull of this class's quality, and the rungs (chosen for {}), scored by the {} model at {}.</figcaption>\n</figure>\n",
            inline(
                &plot::device_rate_quality_svg(m, l, d)?,
                &format!("rate-quality plot on {}", d.name)
            ),
            esc(&d.name),
            if m.settings.objective.viewers.is_some() {
                "the viewer mix".to_string()
            } else {
                esc(quality_label(m.settings.metric))
            },
            esc(&d.model.to_string()),
            d.display
        );
    }
    Ok(())
}

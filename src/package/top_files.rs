//! The files at the top of a package: the master playlist, the MPD and `package.json`.

use super::rendition::MEDIA_PLAYLIST;
use super::staging::Staging;
use super::{
    MASTER_PLAYLIST, MPD, PACKAGE_JSON, PackageManifest, PackageOptions, Timeline, dash, hls,
};
use crate::error::{Error, Result};

/// Write the master playlist and MPD (as `options` asks) and `package.json` into `staging`.
pub(super) fn write_top_files(
    staging: &Staging,
    result: &PackageManifest,
    timeline: &Timeline,
    options: &PackageOptions,
) -> Result<()> {
    let rate = result.frame_rate;
    if options.hls {
        let variants: Vec<hls::Variant> = result
            .renditions
            .iter()
            .map(|r| hls::Variant {
                bandwidth: r.hls_bandwidth,
                average_bandwidth: r.hls_average_bandwidth,
                codecs: r.codecs.clone(),
                width: r.width,
                height: r.height,
                uri: format!("{}/{MEDIA_PLAYLIST}", r.name),
            })
            .collect();
        staging.write(MASTER_PLAYLIST, &hls::master_playlist(&variants, rate))?;
    }
    if options.dash {
        let text = dash::mpd(
            &result.renditions,
            rate,
            &timeline.frames_per_segment,
            timeline.min_buffer_s,
        );
        staging.write(MPD, &text)?;
    }
    let mut json = serde_json::to_string_pretty(result).map_err(|cause| Error::Serialize {
        what: PACKAGE_JSON.into(),
        cause,
    })?;
    json.push('\n');
    staging.write(PACKAGE_JSON, &json)
}

//! Choosing which trial points to encode: every resolution x CRF of a [`grid`], or an
//! [`adaptive`] search that places points where the hull needs them, optionally at a faster
//! [`proxy`] preset calibrated against the final one.

pub mod adaptive;
pub(crate) mod grid;
pub(crate) mod proxy;

use serde::{Deserialize, Serialize};

/// How a run chooses its trial points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// Every resolution at every CRF.
    #[default]
    Grid,
    /// Waves of points chosen from the measurements so far ([`adaptive::next_wave`]).
    Adaptive,
}

impl SearchMode {
    /// Every mode, default first.
    pub const ALL: [SearchMode; 2] = [SearchMode::Grid, SearchMode::Adaptive];
}

impl std::fmt::Display for SearchMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SearchMode::Grid => "grid",
            SearchMode::Adaptive => "adaptive",
        })
    }
}

impl std::str::FromStr for SearchMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "grid" => Ok(SearchMode::Grid),
            "adaptive" => Ok(SearchMode::Adaptive),
            other => Err(format!("unknown search {other:?} (grid or adaptive)")),
        }
    }
}

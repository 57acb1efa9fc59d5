//! VMAF's fusion of features into a score, read from the published model definitions
//! (`../models/*.json`): each feature is rescaled linearly (`slope * x + intercept`), a
//! nu-support-vector regression with a radial basis kernel predicts from them
//! (`sum_i coef_i * exp(-gamma * |x - sv_i|^2) - rho`), the prediction is rescaled back
//! (`(y - intercept_0) / slope_0`), passed through the model's score transform when asked
//! (the phone model: `p0 + p1 y + p2 y^2`, never below `y`), and clipped to the model's range.

use crate::error::{Error, Result};
use crate::measure::metrics::vmaf::VmafModel;
use serde::Deserialize;
use std::sync::OnceLock;

/// The features of one frame a VMAF v0.6.1 model reads.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Features {
    /// ADM (`VMAF_integer_feature_adm2_score`).
    pub adm2: f64,
    /// Motion (`VMAF_integer_feature_motion2_score`).
    pub motion2: f64,
    /// VIF at scales 0 to 3 (`VMAF_integer_feature_vif_scale{s}_score`).
    pub vif: [f64; 4],
}

/// Which feature a model input is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Input {
    Adm2,
    Motion2,
    Vif(usize),
}

impl Input {
    fn of(name: &str) -> Option<Input> {
        match name.strip_prefix("VMAF_integer_feature_")? {
            "adm2_score" => Some(Input::Adm2),
            "motion2_score" => Some(Input::Motion2),
            other => {
                let s = other.strip_prefix("vif_scale")?.strip_suffix("_score")?;
                let s: usize = s.parse().ok()?;
                (s < 4).then_some(Input::Vif(s))
            }
        }
    }

    fn value(self, f: &Features) -> f64 {
        match self {
            Input::Adm2 => f.adm2,
            Input::Motion2 => f.motion2,
            Input::Vif(s) => f.vif[s],
        }
    }
}

/// The polynomial score transform (`p0 + p1 y + p2 y^2`), rectified.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Transform {
    p: [f64; 3],
    /// The transformed score is never below the score.
    out_gte_in: bool,
    /// The transformed score is never above the score.
    out_lte_in: bool,
}

/// A VMAF model ready to predict.
#[derive(Debug)]
pub struct Model {
    inputs: Vec<Input>,
    /// `slopes[0]`/`intercepts[0]` rescale the prediction; `[i + 1]` rescale input `i`.
    slopes: Vec<f64>,
    intercepts: Vec<f64>,
    gamma: f64,
    rho: f64,
    /// The support vectors, `inputs.len()` values each, in the file's order.
    vectors: Vec<f64>,
    coefficients: Vec<f64>,
    transform: Option<Transform>,
    clip: Option<[f64; 2]>,
    /// The VIF and ADM enhancement gain limits the model's features are computed with.
    vif_enhn_gain_limit: f64,
    adm_enhn_gain_limit: f64,
}

/// libvmaf's default enhancement gain limit of VIF and ADM.
const DEFAULT_ENHN_GAIN_LIMIT: f64 = 100.0;

#[derive(Deserialize)]
struct File {
    model_dict: ModelDict,
}

#[derive(Deserialize)]
struct ModelDict {
    model_type: String,
    norm_type: String,
    feature_names: Vec<String>,
    slopes: Vec<f64>,
    intercepts: Vec<f64>,
    model: String,
    #[serde(default)]
    score_clip: Option<[f64; 2]>,
    #[serde(default)]
    score_transform: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    feature_opts_dicts: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl Model {
    /// The built-in model of `which` (parsed once per process).
    pub fn get(which: VmafModel) -> Result<&'static Model> {
        static V061: OnceLock<std::result::Result<Model, String>> = OnceLock::new();
        static V061_NEG: OnceLock<std::result::Result<Model, String>> = OnceLock::new();
        static PHONE: OnceLock<std::result::Result<Model, String>> = OnceLock::new();
        static FOUR_K: OnceLock<std::result::Result<Model, String>> = OnceLock::new();
        const V061_JSON: &str = include_str!("../models/vmaf_v0.6.1.json");
        const NEG_JSON: &str = include_str!("../models/vmaf_v0.6.1neg.json");
        const FOUR_K_JSON: &str = include_str!("../models/vmaf_4k_v0.6.1.json");
        let (cell, json, transform) = match which {
            VmafModel::V061 => (&V061, V061_JSON, false),
            VmafModel::V061Neg => (&V061_NEG, NEG_JSON, false),
            VmafModel::Phone => (&PHONE, V061_JSON, true),
            VmafModel::FourK => (&FOUR_K, FOUR_K_JSON, false),
        };
        cell.get_or_init(|| Model::parse(json, transform))
            .as_ref()
            .map_err(|why| Error::Internal(format!("VMAF model {which}: {why}")))
    }

    /// A model from libvmaf's JSON definition; `transform`: apply its score transform.
    pub fn parse(json: &str, transform: bool) -> std::result::Result<Model, String> {
        let file: File = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let d = file.model_dict;
        if d.model_type != "LIBSVMNUSVR" || d.norm_type != "linear_rescale" {
            return Err(format!(
                "unsupported model type {} with {} normalisation",
                d.model_type, d.norm_type
            ));
        }
        let inputs = d
            .feature_names
            .iter()
            .map(|n| Input::of(n).ok_or_else(|| format!("unknown feature {n}")))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if d.slopes.len() != inputs.len() + 1 || d.intercepts.len() != inputs.len() + 1 {
            return Err("slopes and intercepts do not match the features".into());
        }
        let svm = Svm::parse(&d.model, inputs.len())?;
        let gain = |input: fn(&Input) -> bool, key: &str| -> f64 {
            inputs
                .iter()
                .zip(&d.feature_opts_dicts)
                .filter(|(i, _)| input(i))
                .find_map(|(_, opts)| opts.get(key).and_then(|v| v.as_f64()))
                .unwrap_or(DEFAULT_ENHN_GAIN_LIMIT)
        };
        let vif_enhn_gain_limit = gain(|i| matches!(i, Input::Vif(_)), "vif_enhn_gain_limit");
        let adm_enhn_gain_limit = gain(|i| matches!(i, Input::Adm2), "adm_enhn_gain_limit");
        let transform = match (&d.score_transform, transform) {
            (Some(t), true) => {
                let num = |k: &str| t.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
                let flag = |k: &str| t.get(k).and_then(|v| v.as_str()) == Some("true");
                Some(Transform {
                    p: [num("p0"), num("p1"), num("p2")],
                    out_gte_in: flag("out_gte_in"),
                    out_lte_in: flag("out_lte_in"),
                })
            }
            (None, true) => return Err("the model has no score transform".into()),
            _ => None,
        };
        Ok(Model {
            inputs,
            slopes: d.slopes,
            intercepts: d.intercepts,
            gamma: svm.gamma,
            rho: svm.rho,
            vectors: svm.vectors,
            coefficients: svm.coefficients,
            transform,
            clip: d.score_clip,
            vif_enhn_gain_limit,
            adm_enhn_gain_limit,
        })
    }

    /// The enhancement gain limit VIF is computed with for this model.
    pub fn vif_enhn_gain_limit(&self) -> f64 {
        self.vif_enhn_gain_limit
    }

    /// The enhancement gain limit ADM is computed with for this model.
    pub fn adm_enhn_gain_limit(&self) -> f64 {
        self.adm_enhn_gain_limit
    }

    /// The score of a frame with `features`.
    pub fn predict(&self, features: &Features) -> f64 {
        let n = self.inputs.len();
        let mut x = [0.0f64; 8];
        for (i, input) in self.inputs.iter().enumerate() {
            x[i] = self.slopes[i + 1] * input.value(features) + self.intercepts[i + 1];
        }
        let mut sum = 0.0;
        for (sv, coef) in self.vectors.chunks_exact(n).zip(&self.coefficients) {
            let mut d2 = 0.0;
            for (a, b) in x[..n].iter().zip(sv) {
                d2 += (a - b) * (a - b);
            }
            sum += coef * (-self.gamma * d2).exp();
        }
        let prediction = sum - self.rho;
        let mut score = (prediction - self.intercepts[0]) / self.slopes[0];
        if let Some(t) = self.transform {
            let y = score;
            let mut out = t.p[0] + t.p[1] * y + t.p[2] * y * y;
            if t.out_lte_in && out > y {
                out = y;
            }
            if t.out_gte_in && out < y {
                out = y;
            }
            score = out;
        }
        if let Some([lo, hi]) = self.clip {
            score = score.clamp(lo, hi);
        }
        score
    }
}

/// The support-vector part of a libsvm model file.
struct Svm {
    gamma: f64,
    rho: f64,
    vectors: Vec<f64>,
    coefficients: Vec<f64>,
}

impl Svm {
    /// Parse libsvm's text format: header lines, then `SV`, then one line per support vector
    /// (`coef index:value ...`, 1-based indices, absent ones zero).
    fn parse(text: &str, inputs: usize) -> std::result::Result<Svm, String> {
        let mut lines = text.lines();
        let (mut gamma, mut rho) = (None, None);
        for line in lines.by_ref() {
            let mut words = line.split_whitespace();
            match (words.next(), words.next()) {
                (Some("SV"), _) => break,
                (Some("svm_type"), Some(t)) if t != "nu_svr" => {
                    return Err(format!("svm_type {t}, not nu_svr"));
                }
                (Some("kernel_type"), Some(k)) if k != "rbf" => {
                    return Err(format!("kernel_type {k}, not rbf"));
                }
                (Some("gamma"), Some(g)) => gamma = g.parse::<f64>().ok(),
                (Some("rho"), Some(r)) => rho = r.parse::<f64>().ok(),
                _ => {}
            }
        }
        let (mut vectors, mut coefficients) = (Vec::new(), Vec::new());
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let mut words = line.split_whitespace();
            let coef: f64 = words
                .next()
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| format!("bad support vector line {line:?}"))?;
            let mut sv = vec![0.0; inputs];
            for w in words {
                let (i, v) = w
                    .split_once(':')
                    .and_then(|(i, v)| Some((i.parse::<usize>().ok()?, v.parse::<f64>().ok()?)))
                    .filter(|&(i, _)| (1..=inputs).contains(&i))
                    .ok_or_else(|| format!("bad support vector entry {w:?}"))?;
                sv[i - 1] = v;
            }
            coefficients.push(coef);
            vectors.extend(sv);
        }
        match (gamma, rho) {
            (Some(gamma), Some(rho)) if !coefficients.is_empty() => Ok(Svm {
                gamma,
                rho,
                vectors,
                coefficients,
            }),
            _ => Err("no gamma, rho or support vectors".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::metrics::vmaf::libvmaf::LibvmafScorer;
    use crate::measure::metrics::vmaf::libvmaf::{Extractor, features};
    use crate::measure::metrics::vmaf::test_pairs::{CLIPS, Pairs, clips_dir};

    const NAMES: [&str; 6] = [
        "VMAF_integer_feature_adm2_score",
        "VMAF_integer_feature_motion2_score",
        "VMAF_integer_feature_vif_scale0_score",
        "VMAF_integer_feature_vif_scale1_score",
        "VMAF_integer_feature_vif_scale2_score",
        "VMAF_integer_feature_vif_scale3_score",
    ];

    #[test]
    fn every_built_in_model_parses() {
        for m in [
            VmafModel::V061,
            VmafModel::V061Neg,
            VmafModel::Phone,
            VmafModel::FourK,
        ] {
            let model = Model::get(m).unwrap();
            assert_eq!(model.inputs.len(), 6, "{m}");
            assert_eq!(model.coefficients.len() * 6, model.vectors.len());
            assert_eq!(model.transform.is_some(), m == VmafModel::Phone);
            let limit = if m == VmafModel::V061Neg { 1.0 } else { 100.0 };
            assert_eq!(model.vif_enhn_gain_limit(), limit, "{m}");
            assert_eq!(model.adm_enhn_gain_limit(), limit, "{m}");
        }
    }

    /// libvmaf's features of real pairs, fed to this model, give libvmaf's own score.
    #[test]
    fn predictions_match_libvmaf_scores_from_its_features() {
        let Some(dir) = clips_dir("predictions_match_libvmaf_scores_from_its_features") else {
            return;
        };
        let mut worst = 0.0f64;
        for (clip, height, crf) in [
            (CLIPS[2], 240, 38),
            (CLIPS[4], 360, 26),
            (CLIPS[0], 540, 45),
        ] {
            let pairs = Pairs::encode(&dir, clip, 4, height, crf);
            for model in [
                VmafModel::V061,
                VmafModel::V061Neg,
                VmafModel::Phone,
                VmafModel::FourK,
            ] {
                let m = Model::get(model).unwrap();
                let limit = |l: f64| l.to_string();
                let (vif_limit, adm_limit) = (
                    limit(m.vif_enhn_gain_limit()),
                    limit(m.adm_enhn_gain_limit()),
                );
                let vif_opts = [("vif_enhn_gain_limit", vif_limit.as_str())];
                let adm_opts = [("adm_enhn_gain_limit", adm_limit.as_str())];
                let names = if model == VmafModel::V061Neg {
                    // libvmaf names features computed with non-default options by them.
                    NAMES.map(|n| match n {
                        "VMAF_integer_feature_adm2_score" => "integer_adm2_egl_1".to_string(),
                        n if n.contains("vif_scale") => format!(
                            "integer_vif_scale{}_egl_1",
                            &n["VMAF_integer_feature_vif_scale".len()..][..1]
                        ),
                        n => n.to_string(),
                    })
                } else {
                    NAMES.map(str::to_string)
                };
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let feats = features(
                    &[
                        Extractor {
                            name: "vif",
                            options: if model == VmafModel::V061Neg {
                                &vif_opts
                            } else {
                                &[]
                            },
                        },
                        Extractor {
                            name: "adm",
                            options: if model == VmafModel::V061Neg {
                                &adm_opts
                            } else {
                                &[]
                            },
                        },
                        Extractor {
                            name: "motion",
                            options: &[],
                        },
                    ],
                    &names,
                    &pairs.luma(None),
                )
                .unwrap();
                let mut scorer = LibvmafScorer::new(model, 0, 1).unwrap();
                for (r, d) in pairs.reference.iter().zip(&pairs.distorted) {
                    scorer.push(r, d).unwrap();
                }
                let scores = scorer.finish().unwrap();
                for (f, score) in feats.iter().zip(&scores) {
                    let ours = m.predict(&Features {
                        adm2: f[0],
                        motion2: f[1],
                        vif: [f[2], f[3], f[4], f[5]],
                    });
                    worst = worst.max((ours - score).abs());
                    assert!(
                        (ours - score).abs() < 1e-9,
                        "{clip} {height}p {model}: {ours} vs libvmaf {score}"
                    );
                }
            }
        }
        eprintln!("largest |prediction - libvmaf score|: {worst:e}");
    }
}

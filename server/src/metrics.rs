//! Prometheus metrics. With `--metrics ADDR` the server serves `GET /metrics` (the text
//! exposition format) on a listener of its own, meant for a private network or the host's
//! loopback, never the players' port. The series are kept here and fed by the game thread
//! once per tick (frame time, links, campaigns, intents answered, narrator calls, journal
//! syncs) and by the join endpoint as requests arrive; scraping only reads them.
//!
//! | series | kind | what |
//! |---|---|---|
//! | `emberkeep_frame_seconds` | histogram | one server frame (every schedule, First..Last) |
//! | `emberkeep_links` | gauge | connected links (players, spectators, bots) |
//! | `emberkeep_seated` | gauge | links holding a seat |
//! | `emberkeep_campaigns` | gauge | campaigns open |
//! | `emberkeep_intents_total{outcome,code}` | counter | intents answered: `accepted`, or `rejected` with the refusal's code |
//! | `emberkeep_narrator_seconds` | histogram | a model narration, asked → concluded |
//! | `emberkeep_narrator_failures_total{kind}` | counter | model answers replaced by the built-in ones (`narration`, `npc`, `judgment`) |
//! | `emberkeep_narrator_tokens_total{direction}` | counter | tokens sent (`input`) and received (`output`) |
//! | `emberkeep_journal_sync_seconds` | histogram | a campaign's lines of one frame, from the first written to synced with the frame's others |
//! | `emberkeep_join_attempts_total{result}` | counter | `/api/join`: `minted`, `unknown` code, `throttled` |
//! | `emberkeep_http_connections_total{result}` | counter | HTTP connections `accepted` or `refused` (limits) |
//! | `emberkeep_restarts_total` | counter | times a shard failed and was built again from its journals |

use crate::campaign::Campaign;
use crate::narrator::Narrator;
use crate::session::Session;
use bevy::prelude::*;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Labels of a series: pairs of name and value.
pub type Labels = Vec<(&'static str, String)>;

/// The server's metrics (cheap to clone: every series is shared).
#[derive(Resource, Clone, Debug)]
pub struct Metrics(Arc<Series>);

/// Every series, and the registry that names them.
#[derive(Debug)]
pub struct Series {
    registry: Registry,
    /// One server frame.
    pub frame_seconds: Histogram,
    /// Connected links.
    pub links: Gauge,
    /// Links holding a seat.
    pub seated: Gauge,
    /// Campaigns open.
    pub campaigns: Gauge,
    /// Intents answered, by outcome and code.
    pub intents: Family<Labels, Counter>,
    /// A model narration, asked → concluded.
    pub narrator_seconds: Histogram,
    /// Model answers replaced by built-in ones, by kind.
    pub narrator_failures: Family<Labels, Counter>,
    /// Tokens, by direction.
    pub narrator_tokens: Family<Labels, Counter>,
    /// A campaign's lines of one frame, from the first written to synced (group commit).
    pub journal_sync_seconds: Histogram,
    /// Join requests, by result.
    pub join_attempts: Family<Labels, Counter>,
    /// HTTP connections, by result.
    pub http_connections: Family<Labels, Counter>,
    /// Times this shard failed and was built again from its journals (`--shards`).
    pub restarts: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(Registry::with_prefix("emberkeep"))
    }
}

impl Metrics {
    /// One shard's series (`--shards`): every sample carries the label `shard="INDEX"`;
    /// [`render_all`] exposes every shard's together.
    pub fn for_shard(index: u32) -> Metrics {
        Metrics::new(Registry::with_prefix_and_labels(
            "emberkeep",
            [(
                std::borrow::Cow::Borrowed("shard"),
                std::borrow::Cow::Owned(index.to_string()),
            )]
            .into_iter(),
        ))
    }

    fn new(mut registry: Registry) -> Metrics {
        // 0.1 ms .. 0.6 s in steps of 25 % (a frame p99 read off the buckets is within 25 %).
        let frame_seconds = Histogram::new(exponential_buckets(0.0001, 1.25, 40));
        // 50 ms .. 51 s.
        let narrator_seconds = Histogram::new(exponential_buckets(0.05, 2.0, 11));
        // 0.1 ms .. 1.6 s.
        let journal_sync_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 15));
        let series = Series {
            frame_seconds,
            links: Gauge::default(),
            seated: Gauge::default(),
            campaigns: Gauge::default(),
            intents: Family::default(),
            narrator_seconds,
            narrator_failures: Family::default(),
            narrator_tokens: Family::default(),
            journal_sync_seconds,
            join_attempts: Family::default(),
            http_connections: Family::default(),
            restarts: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "frame_seconds",
            "Time of one server frame (all schedules)",
            series.frame_seconds.clone(),
        );
        registry.register("links", "Connected links", series.links.clone());
        registry.register("seated", "Links holding a seat", series.seated.clone());
        registry.register("campaigns", "Campaigns open", series.campaigns.clone());
        registry.register(
            "intents",
            "Intents answered, by outcome (accepted, rejected) and refusal code",
            series.intents.clone(),
        );
        registry.register(
            "narrator_seconds",
            "A model narration from request to conclusion",
            series.narrator_seconds.clone(),
        );
        registry.register(
            "narrator_failures",
            "Model answers replaced by the built-in ones, by kind (narration, npc, judgment)",
            series.narrator_failures.clone(),
        );
        registry.register(
            "narrator_tokens",
            "Language-model tokens, by direction (input, output)",
            series.narrator_tokens.clone(),
        );
        registry.register(
            "journal_sync_seconds",
            "A journal line written and synced to disk",
            series.journal_sync_seconds.clone(),
        );
        registry.register(
            "join_attempts",
            "Join-code requests, by result (minted, unknown, throttled)",
            series.join_attempts.clone(),
        );
        registry.register(
            "http_connections",
            "HTTP connections, by result (accepted, refused by a limit)",
            series.http_connections.clone(),
        );
        registry.register(
            "restarts",
            "Times this world failed and was built again from its journals (--shards)",
            series.restarts.clone(),
        );
        // The known series exist from the start (at 0), so a dashboard sees them at once.
        let known: [(&Family<Labels, Counter>, &'static str, &[&str]); 4] = [
            (
                &series.narrator_failures,
                "kind",
                &["narration", "npc", "judgment"],
            ),
            (&series.narrator_tokens, "direction", &["input", "output"]),
            (
                &series.join_attempts,
                "result",
                &["minted", "unknown", "throttled"],
            ),
            (&series.http_connections, "result", &["accepted", "refused"]),
        ];
        for (family, label, values) in known {
            for value in values {
                let _ = family.get_or_create(&vec![(label, (*value).to_string())]);
            }
        }
        let _ = series.intents.get_or_create(&vec![
            ("outcome", "accepted".into()),
            ("code", String::new()),
        ]);
        Metrics(Arc::new(Series { registry, ..series }))
    }

    /// The series.
    pub fn series(&self) -> &Series {
        &self.0
    }

    /// Everything in the text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.0.registry);
        out
    }

    /// Counts one of `family`'s series by one.
    pub fn count(family: &Family<Labels, Counter>, labels: &[(&'static str, &str)]) {
        family
            .get_or_create(&labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect())
            .inc();
    }
}

/// Several shards' metrics as one exposition: each family's descriptor (`# HELP`, `# TYPE`,
/// `# UNIT`) once, then the samples of every shard, and one `# EOF`.
pub fn render_all(all: &[Metrics]) -> String {
    if let [one] = all {
        return one.render();
    }
    // Family name → (descriptor lines, sample lines), in the first rendering's order.
    let mut order: Vec<String> = Vec::new();
    let mut families: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
    for metrics in all {
        let text = metrics.render();
        let mut current = String::new();
        for line in text.lines() {
            if line == "# EOF" {
                continue;
            }
            if let Some(rest) = line
                .strip_prefix("# HELP ")
                .or_else(|| line.strip_prefix("# TYPE "))
                .or_else(|| line.strip_prefix("# UNIT "))
            {
                current = rest.split(' ').next().unwrap_or_default().to_string();
                let family = families.entry(current.clone()).or_insert_with(|| {
                    order.push(current.clone());
                    Default::default()
                });
                if !family.0.iter().any(|l| l == line) {
                    family.0.push(line.to_string());
                }
            } else {
                families
                    .entry(current.clone())
                    .or_insert_with(|| {
                        order.push(current.clone());
                        Default::default()
                    })
                    .1
                    .push(line.to_string());
            }
        }
    }
    let mut out = String::new();
    for name in order {
        let (descriptor, samples) = &families[&name];
        for line in descriptor.iter().chain(samples) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("# EOF\n");
    out
}

/// When this frame began.
#[derive(Resource, Debug, Default)]
struct FrameStart(Option<Instant>);

/// The narrator counters last mirrored, per campaign.
#[derive(Debug, Default)]
struct Mirrored {
    usage: HashMap<String, [u64; 5]>,
}

/// Adds the metrics resource and the systems that feed it.
pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<Metrics>()
        .init_resource::<FrameStart>()
        .add_systems(First, |mut start: ResMut<FrameStart>| {
            start.0 = Some(Instant::now())
        })
        .add_systems(Last, record);
}

/// Once per frame, at its end: the frame's time, the gauges, and what the campaigns counted.
fn record(
    metrics: Res<Metrics>,
    start: Res<FrameStart>,
    links: Query<&Session>,
    mut campaigns: Query<(&mut Campaign, Option<&mut Narrator>)>,
    mut mirrored: Local<Mirrored>,
) {
    let s = metrics.series();
    let mut open = 0;
    for (mut campaign, narrator) in &mut campaigns {
        open += 1;
        if let Some(journal) = campaign.journal.as_mut() {
            for took in journal.sync_times.drain(..) {
                s.journal_sync_seconds.observe(took.as_secs_f64());
            }
        }
        let Some(mut narrator) = narrator else {
            continue;
        };
        for took in narrator.latencies.drain(..) {
            s.narrator_seconds.observe(took.as_secs_f64());
        }
        let u = &narrator.usage;
        let now = [
            u.fallbacks,
            u.npc_fallbacks,
            u.judge_fallbacks,
            u.input_tokens,
            u.output_tokens,
        ];
        let before = mirrored.usage.entry(campaign.id.clone()).or_insert([0; 5]);
        let grew = |i: usize| now[i].saturating_sub(before[i]);
        let failures = &s.narrator_failures;
        for (i, kind) in [(0, "narration"), (1, "npc"), (2, "judgment")] {
            if grew(i) > 0 {
                failures
                    .get_or_create(&vec![("kind", kind.to_string())])
                    .inc_by(grew(i));
            }
        }
        for (i, direction) in [(3, "input"), (4, "output")] {
            if grew(i) > 0 {
                s.narrator_tokens
                    .get_or_create(&vec![("direction", direction.to_string())])
                    .inc_by(grew(i));
            }
        }
        *before = now;
    }
    s.campaigns.set(open);
    s.links.set(links.iter().count() as i64);
    s.seated
        .set(links.iter().filter(|l| l.campaign.is_some()).count() as i64);
    if let Some(started) = start.0 {
        s.frame_seconds.observe(started.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_series_with_its_type() {
        let m = Metrics::default();
        Metrics::count(
            &m.series().intents,
            &[("outcome", "rejected"), ("code", "NotYourTurn")],
        );
        m.series().frame_seconds.observe(0.003);
        let text = m.render();
        for line in [
            "# TYPE emberkeep_frame_seconds histogram",
            "emberkeep_frame_seconds_count 1",
            "emberkeep_frame_seconds_bucket{le=\"+Inf\"} 1",
            "# TYPE emberkeep_links gauge",
            "# TYPE emberkeep_intents counter",
            "emberkeep_intents_total{outcome=\"rejected\",code=\"NotYourTurn\"} 1",
            "# TYPE emberkeep_journal_sync_seconds histogram",
            "# TYPE emberkeep_join_attempts counter",
        ] {
            assert!(text.contains(line), "no `{line}` in:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn shards_are_exposed_as_one_family_each_with_a_shard_label() {
        let shards: Vec<Metrics> = (0..3).map(Metrics::for_shard).collect();
        shards[1].series().frame_seconds.observe(0.002);
        shards[2].series().links.set(7);
        let text = render_all(&shards);
        for family in [
            "emberkeep_frame_seconds",
            "emberkeep_links",
            "emberkeep_intents",
        ] {
            let kind = format!("# TYPE {family} ");
            assert_eq!(text.matches(&kind).count(), 1, "{family} once in:\n{text}");
        }
        assert!(
            text.contains("emberkeep_frame_seconds_count{shard=\"1\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("emberkeep_frame_seconds_count{shard=\"0\"} 0"),
            "{text}"
        );
        assert!(text.contains("emberkeep_links{shard=\"2\"} 7"), "{text}");
        assert_eq!(text.matches("# EOF").count(), 1);
        assert!(text.ends_with("# EOF\n"));
        // Every sample follows its own family's descriptor.
        let links = text.find("# TYPE emberkeep_links ").unwrap();
        let seated = text.find("# TYPE emberkeep_seated ").unwrap();
        for shard in 0..3 {
            let sample = text
                .find(&format!("emberkeep_links{{shard=\"{shard}\"}}"))
                .unwrap();
            assert!(links < sample && sample < seated, "{text}");
        }
    }
}

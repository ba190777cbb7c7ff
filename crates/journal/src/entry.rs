//! Journal entries (DESIGN contract 3): one event, serialised as RFC 8785
//! canonical JSON, carrying the AR-3.5 / N-5.9.5 / N-5.11.7 fields — who
//! (actor, on whose behalf, how authenticated), what (action, resource,
//! nature, subject pseudonym), when (time, UTC), where (place, channel), why
//! (purpose, legal basis), for whom (controller, executor), and any
//! malfunction observed.
use probant_verify::jcs;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Error;

/// Longest entry the C2SP bundle format can carry (uint16 length prefix).
pub const MAX_ENTRY_LEN: usize = probant_verify::bundle::MAX_ENTRY_LEN;

/// Whether the action succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Done.
    Success,
    /// Refused by authorisation (the refusal is journaled too).
    Denied,
    /// Attempted and failed.
    Failure,
}

/// What kind of principal acted (N-5.9.6: programs map back to persons).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// A natural person.
    Person,
    /// A program acting on behalf of a person.
    Program,
    /// Not identified (e.g. a refused, unauthenticated request).
    Unknown,
}

/// Who acted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Institution user id or program id.
    pub id: String,
    /// Person, program or unknown.
    pub kind: ActorKind,
    /// For a program: the natural person it acts for.
    pub on_behalf_of: Option<String>,
    /// How the actor was authenticated (e.g. `local-key-ring`, `oidc`, `mtls`).
    pub auth: String,
}

/// What was acted upon. `subject` is the keyed pseudonym of the national
/// number (the catalog's blind index), never the number itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Record id.
    pub record: Option<String>,
    /// Record version.
    pub version: Option<u64>,
    /// Keyed pseudonym of the data subject.
    pub subject: Option<String>,
    /// Nature of the data (document type).
    pub nature: Option<String>,
    /// Classification level.
    pub classification: Option<String>,
    /// Lowercase hex SHA-256 of stored plaintext content, for entries about content.
    pub sha256: Option<String>,
}

/// One event to journal; the journal adds `time` when it sequences it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// `record.ingest`, `record.read`, `authz.deny`, `journal.prune`, …
    pub action: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Who.
    pub actor: Actor,
    /// On what.
    pub resource: Resource,
    /// Why (stated purpose).
    pub purpose: Option<String>,
    /// Under which legal basis / authorisation (N-5.6.4).
    pub legal_basis: Option<String>,
    /// Data controller (AR-3.5).
    pub controller: String,
    /// Executor of the processing (AR-3.5).
    pub executor: String,
    /// Place of execution (AR-3.5).
    pub place: String,
    /// How: `cli`, `api`, `system`.
    pub channel: String,
    /// Malfunction observed during the processing (AR-3.5), if any.
    pub malfunction: Option<String>,
    /// Action-specific details (JSON object, integers only).
    pub details: Option<Value>,
}

impl Event {
    /// The canonical JSON (RFC 8785) of the event without its time, split
    /// around the malfunction member so the sequencer can add one without
    /// serialising again. Members are written in RFC 8785 order by hand: the
    /// schema is fixed, and this is the journal's hot path (a test checks it
    /// against the generic canonicaliser).
    fn canonical_parts(&self) -> Result<(String, String), Error> {
        let mut a = String::with_capacity(512);
        a.push_str("{\"action\":");
        jcs::write_string(&mut a, &self.action);
        a.push_str(",\"actor\":{\"auth\":");
        jcs::write_string(&mut a, &self.actor.auth);
        a.push_str(",\"id\":");
        jcs::write_string(&mut a, &self.actor.id);
        a.push_str(",\"kind\":");
        a.push_str(match self.actor.kind {
            ActorKind::Person => "\"person\"",
            ActorKind::Program => "\"program\"",
            ActorKind::Unknown => "\"unknown\"",
        });
        a.push_str(",\"on_behalf_of\":");
        opt_string(&mut a, &self.actor.on_behalf_of);
        a.push_str("},\"channel\":");
        jcs::write_string(&mut a, &self.channel);
        a.push_str(",\"controller\":");
        jcs::write_string(&mut a, &self.controller);
        if let Some(d) = &self.details {
            a.push_str(",\"details\":");
            a.push_str(&jcs::canonicalize(d).map_err(|e| Error::InvalidEvent {
                detail: e.to_string(),
            })?);
        }
        a.push_str(",\"executor\":");
        jcs::write_string(&mut a, &self.executor);
        a.push_str(",\"legal_basis\":");
        opt_string(&mut a, &self.legal_basis);
        a.push_str(",\"malfunction\":");
        Ok((a, self.canonical_tail()?))
    }

    /// Everything after the malfunction member, without the closing brace.
    fn canonical_tail(&self) -> Result<String, Error> {
        let mut b = String::with_capacity(256);
        b.push_str(",\"outcome\":");
        b.push_str(match self.outcome {
            Outcome::Success => "\"success\"",
            Outcome::Denied => "\"denied\"",
            Outcome::Failure => "\"failure\"",
        });
        b.push_str(",\"place\":");
        jcs::write_string(&mut b, &self.place);
        b.push_str(",\"purpose\":");
        opt_string(&mut b, &self.purpose);
        let r = &self.resource;
        b.push_str(",\"resource\":{\"classification\":");
        opt_string(&mut b, &r.classification);
        b.push_str(",\"nature\":");
        opt_string(&mut b, &r.nature);
        b.push_str(",\"record\":");
        opt_string(&mut b, &r.record);
        b.push_str(",\"sha256\":");
        opt_string(&mut b, &r.sha256);
        b.push_str(",\"subject\":");
        opt_string(&mut b, &r.subject);
        b.push_str(",\"version\":");
        match r.version {
            Some(v) if v <= 1 << 53 => b.push_str(&v.to_string()),
            Some(_) => {
                return Err(Error::InvalidEvent {
                    detail: "version above 2^53".into(),
                })
            }
            None => b.push_str("null"),
        }
        b.push('}');
        Ok(b)
    }
}

fn opt_string(out: &mut String, s: &Option<String>) {
    match s {
        Some(s) => jcs::write_string(out, s),
        None => out.push_str("null"),
    }
}

/// An event serialised without its time, ready to be stamped. Serialising
/// happens before the journal's sequencing lock; stamping inside it only
/// joins the parts with the malfunction and the time, which sorts after
/// every other top-level member.
#[derive(Clone, Debug)]
pub struct Prepared {
    head: String,
    malfunction: Option<String>,
    tail: String,
}

impl Prepared {
    /// Canonicalises `event`; rejects what cannot become an entry.
    pub fn new(event: &Event) -> Result<Self, Error> {
        if event.action.is_empty() {
            return Err(Error::InvalidEvent {
                detail: "empty action".into(),
            });
        }
        let (head, tail) = event.canonical_parts()?;
        // Room for the time member (37 bytes) and a clock malfunction note.
        let len =
            head.len() + tail.len() + event.malfunction.as_ref().map_or(4, |m| m.len() + 2) + 37;
        if len > MAX_ENTRY_LEN - 256 {
            return Err(Error::EntryTooLarge { len });
        }
        Ok(Self {
            head,
            malfunction: event.malfunction.clone(),
            tail,
        })
    }

    /// The entry bytes at `time` (as [`format_time`] writes it), with
    /// `malfunction` added to any the event already reported.
    pub fn stamp(&self, time: &str, malfunction: Option<&str>) -> Vec<u8> {
        let mut out = String::with_capacity(self.head.len() + self.tail.len() + 64);
        out.push_str(&self.head);
        match (self.malfunction.as_deref(), malfunction) {
            (None, None) => out.push_str("null"),
            (Some(m), None) | (None, Some(m)) => jcs::write_string(&mut out, m),
            (Some(a), Some(b)) => jcs::write_string(&mut out, &format!("{a}; {b}")),
        }
        out.push_str(&self.tail);
        out.push_str(",\"time\":\"");
        out.push_str(time);
        out.push_str("\"}");
        out.into_bytes()
    }
}

/// RFC 3339 UTC with microseconds: `2026-11-24T06:31:09.123456Z`.
pub fn format_time(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses the time format above (and any RFC 3339 time) to microseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1000).ok()
}

/// How long an entry must be kept (N-5.11.7e).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetentionCategory {
    /// Functional and transactional entries: at least 10 years.
    Functional,
    /// Technical and infrastructure entries: at least 2 years.
    Technical,
}

impl RetentionCategory {
    /// The category of an action: technical for the journal's own upkeep
    /// and system events, functional for everything about records, access,
    /// policy, keys and consultations.
    pub fn of(action: &str) -> Self {
        if action.starts_with("system.") || action == "journal.verify" {
            RetentionCategory::Technical
        } else {
            RetentionCategory::Functional
        }
    }
}

/// The few fields the journal itself reads back from an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryHead {
    /// Sequencing time in microseconds since the Unix epoch.
    pub time_micros: i64,
    /// The action.
    pub action: String,
}

impl EntryHead {
    /// Reads `time` and `action` from an entry's canonical JSON.
    pub fn parse(entry: &[u8]) -> Result<Self, Error> {
        let v: Map<String, Value> = serde_json::from_slice(entry).map_err(|e| Error::Corrupt {
            what: format!("entry is not JSON: {e}"),
        })?;
        let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let time = field("time").and_then(|t| parse_time(&t));
        match (time, field("action")) {
            (Some(time_micros), Some(action)) => Ok(Self {
                time_micros,
                action,
            }),
            _ => Err(Error::Corrupt {
                what: "entry lacks a valid time or action".into(),
            }),
        }
    }
}

/// Monotone sequencing time: entries are never reordered and never carry a
/// time earlier than their predecessor's. A backwards clock step is recorded
/// as a malfunction (AR-3.5) on the entry where it was observed.
#[derive(Debug, Default)]
pub struct Stamper {
    last: i64,
}

impl Stamper {
    /// Continues after an entry stamped `last`.
    pub fn after(last: i64) -> Self {
        Self { last }
    }
    /// The time to record for a clock reading of `now`.
    pub fn stamp(&mut self, now: i64) -> (i64, Option<String>) {
        if now >= self.last {
            self.last = now;
            return (now, None);
        }
        let back = self.last - now;
        let note = format!(
            "system clock stepped back {}.{:06} s (read {}); time held at the previous entry's",
            back / 1_000_000,
            back % 1_000_000,
            format_time(now)
        );
        (self.last, Some(note))
    }
    /// The last time stamped.
    pub fn last(&self) -> i64 {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Event {
        Event {
            action: "record.read".into(),
            outcome: Outcome::Success,
            actor: Actor {
                id: "alice".into(),
                kind: ActorKind::Program,
                on_behalf_of: Some("bob".into()),
                auth: "local-key-ring".into(),
            },
            resource: Resource {
                record: Some("0192".into()),
                version: Some(1),
                subject: Some("pseudonym".into()),
                ..Default::default()
            },
            purpose: Some("file review \"urgent\"\n".into()),
            legal_basis: Some("own-records".into()),
            controller: "ONSS".into(),
            executor: "ONSS IT".into(),
            place: "Brussels".into(),
            channel: "cli".into(),
            malfunction: None,
            details: Some(serde_json::json!({"zeta": 1, "alpha": ["x"]})),
        }
    }

    #[test]
    fn stamped_entry_is_exactly_the_canonical_form() {
        let e = sample();
        let p = Prepared::new(&e).unwrap();
        for malfunction in [None, Some("clock")] {
            let bytes = p.stamp(&format_time(1_700_000_000_123_456), malfunction);
            let text = std::str::from_utf8(&bytes).unwrap();
            assert!(jcs::is_canonical(text), "{text}");
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(v["time"], "2023-11-14T22:13:20.123456Z");
            assert_eq!(v["malfunction"].as_str(), malfunction);
            assert_eq!(v["actor"]["on_behalf_of"], "bob");
        }
    }

    #[test]
    fn hand_written_order_equals_the_generic_canonicaliser() {
        let mut e = sample();
        for variant in 0..4 {
            match variant {
                1 => {
                    e.details = None;
                    e.actor.kind = ActorKind::Unknown;
                }
                2 => {
                    e.malfunction = Some("disk \"slow\"\u{1}".into());
                    e.resource = Resource::default();
                    e.outcome = Outcome::Denied;
                }
                3 => {
                    e.purpose = None;
                    e.legal_basis = None;
                    e.actor.on_behalf_of = None;
                }
                _ => {}
            }
            let mut generic = serde_json::json!({
                "action": e.action, "outcome": e.outcome, "actor": e.actor, "resource": e.resource,
                "purpose": e.purpose, "legal_basis": e.legal_basis, "controller": e.controller,
                "executor": e.executor, "place": e.place, "channel": e.channel,
                "malfunction": e.malfunction, "time": "2023-11-14T22:13:20.123456Z",
            });
            if let Some(d) = &e.details {
                generic["details"] = d.clone();
            }
            let stamped = Prepared::new(&e)
                .unwrap()
                .stamp(&format_time(1_700_000_000_123_456), None);
            assert_eq!(
                std::str::from_utf8(&stamped).unwrap(),
                jcs::canonicalize(&generic).unwrap(),
                "variant {variant}"
            );
        }
    }

    #[test]
    fn time_round_trips_and_handles_pre_epoch() {
        for t in [0i64, 1, 1_700_000_000_123_456, -1] {
            assert_eq!(parse_time(&format_time(t)), Some(t));
        }
    }

    #[test]
    fn backwards_clock_is_a_malfunction_not_a_reordering() {
        let mut s = Stamper::default();
        assert_eq!(s.stamp(100), (100, None));
        let (t, m) = s.stamp(40);
        assert_eq!(t, 100);
        assert!(m.unwrap().contains("stepped back 0.000060 s"));
        assert_eq!(s.stamp(150), (150, None));
    }

    #[test]
    fn oversized_event_is_refused_before_sequencing() {
        let mut e = sample();
        e.purpose = Some("x".repeat(70_000));
        assert!(matches!(
            Prepared::new(&e),
            Err(Error::EntryTooLarge { .. })
        ));
    }
}

//! pipeline::resume: the run's resume point — which last event ID is safe
//! to keep (the `Ledger`, moved only by what the sink delivered), where it
//! is kept (a state file or topic), and the ID the run starts from
//! (`--last-event-id` over a saved one that can be sent).

use super::Run;
use crate::config::{Config, Output, StateStore};
use crate::log::Log;
use crate::resume::{Ledger, ResumeStore, StateFile};
use crate::sink::kafka::StateTopic;
use anyhow::Result;

/// The resume point: which last event ID is safe, and where it is kept.
pub(super) struct Resume {
    pub(super) ledger: Ledger,
    store: Option<Box<dyn ResumeStore>>,
    /// The store holds (or the run started from) a non-empty ID. Until then
    /// an empty ID is not saved: a record saying "no resume point" could
    /// only ever hide a real one.
    anchored: bool,
    /// An ID that cannot be sent as Last-Event-ID was seen (said once).
    warned_unsendable: bool,
}

impl Resume {
    /// Open the store, load the saved ID and decide the one the run starts
    /// from (returned beside the bookkeeping, for the parser).
    pub(super) fn start(cfg: &Config, log: &Log) -> Result<(Resume, String)> {
        let mut store = open_store(cfg, log)?;
        let saved = match &mut store {
            Some(s) => s.load()?,
            None => None,
        };
        let saved = saved.filter(|id| usable_saved_id(id, cfg, log));
        let first_id = resume_point(cfg, saved, log);
        let resume = Resume {
            ledger: Ledger::new(&first_id),
            store,
            anchored: !first_id.is_empty(),
            warned_unsendable: false,
        };
        Ok((resume, first_id))
    }

    /// The sink has delivered every event up to `delivered`: move the safe
    /// ID and save it (at most once a second unless `force`).
    pub(super) fn catch_up(&mut self, delivered: u64, force: bool) -> Result<()> {
        self.ledger.advance(delivered);
        let id = self.ledger.safe_id();
        if id.is_empty() && !self.anchored {
            return Ok(());
        }
        self.anchored = true;
        match &mut self.store {
            Some(store) => store.save(id, delivered, force),
            None => Ok(()),
        }
    }
}

/// Can the saved resume point be sent as `Last-Event-ID`? One that cannot
/// (saved by an older ssetap) is passed over with a warning, as if there
/// were none, rather than failing every start.
fn usable_saved_id(id: &str, cfg: &Config, log: &Log) -> bool {
    let Some(why) = crate::resume::unsendable(id.as_bytes()) else {
        return true;
    };
    let whence = cfg
        .state
        .as_ref()
        .map_or_else(|| "the resume point".to_string(), StateStore::describe);
    log.warn(&format!(
        "{whence} holds an event ID that cannot be sent as Last-Event-ID ({why}): \
         starting without one, from the live edge"
    ));
    false
}

/// The resume point's store, if the run keeps one.
fn open_store(cfg: &Config, log: &Log) -> Result<Option<Box<dyn ResumeStore>>> {
    Ok(match (&cfg.state, &cfg.output) {
        (Some(StateStore::File(path)), _) => Some(Box::new(StateFile::open(path)?)),
        (Some(StateStore::Topic(t)), Output::Kafka(k)) => {
            log.debug(&format!("--state-topic \"{}\", key {:?}", t.topic, t.key));
            let topic = StateTopic::open(&k.properties, t.clone(), k.flush_timeout)?;
            Some(Box::new(topic))
        }
        _ => None,
    })
}

/// The ID the run starts from (`--last-event-id` over the saved one; empty
/// for none), said once at normal verbosity when there is a store.
fn resume_point(cfg: &Config, saved: Option<String>, log: &Log) -> String {
    let saved = saved.filter(|id| !id.is_empty());
    let Some(store) = &cfg.state else {
        return cfg.last_event_id.clone().unwrap_or_default();
    };
    let (id, from) = match &cfg.last_event_id {
        Some(id) => (id.clone(), "--last-event-id".to_string()),
        None => (saved.unwrap_or_default(), store.describe()),
    };
    if id.is_empty() {
        log.info(&format!(
            "no resume point in {from}: starting from the live edge"
        ));
    } else {
        log.info(&format!("resuming after event ID {id} (from {from})"));
    }
    id
}

impl Run<'_> {
    /// The parser's last event ID, after a read: the ledger takes it (or
    /// passes over it, if it cannot be sent as Last-Event-ID: said once).
    pub(super) fn note_id(&mut self, id: &[u8]) {
        let handed = self.stats.events;
        if !self.resume.ledger.note(handed, id) || self.resume.warned_unsendable {
            return;
        }
        self.resume.warned_unsendable = true;
        let why = crate::resume::unsendable(id).unwrap_or_default();
        self.log.warn(&format!(
            "the server gave an event ID that cannot be sent as Last-Event-ID ({why}): {}, by event {handed} of this run; \
             reconnects send, and the resume point keeps, the last ID that can be ({}), so events since may come again (said once)",
            crate::resume::show_id(id),
            crate::resume::show_id(self.resume.ledger.usable_id().as_bytes()),
        ));
    }
}

//! The acknowledgement window: which events handed to the producer are
//! still waiting for the broker. Events are numbered 1, 2, 3… in the order
//! they are sent, and one event may be several records (`--jq`), each
//! acknowledged on its own; acknowledgements come back in any order (one partition
//! may be faster than another), and `delivered` is the end of the longest
//! acknowledged prefix — the only number the state file may move to.

use std::collections::VecDeque;

/// One event in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    /// Its records sent and not yet acknowledged (nor given up on).
    waiting: u32,
    /// More records of it may still be sent.
    open: bool,
    /// One of its records was given up on: the window never moves past it.
    failed: bool,
}

impl Slot {
    fn done(&self) -> bool {
        self.waiting == 0 && !self.open && !self.failed
    }
}

#[derive(Debug)]
pub struct Window {
    /// Sequence number of `slots[0]`; everything below it is acknowledged.
    base: u64,
    /// One slot per event from `base` on.
    slots: VecDeque<Slot>,
    /// Records in the window still waiting.
    waiting: u64,
}

impl Default for Window {
    fn default() -> Window {
        Window::new()
    }
}

impl Window {
    pub fn new() -> Window {
        Window {
            base: 1,
            slots: VecDeque::new(),
            waiting: 0,
        }
    }

    /// A record of event `seq` was handed to the producer; `last`: no
    /// further record of that event follows. Numbers only grow; a number
    /// skipped over was never sent and has nothing to wait for. A record of
    /// an event that is not the newest one, or whose last record was sent,
    /// is ignored.
    pub fn sent(&mut self, seq: u64, last: bool) {
        let next = self.base + self.slots.len() as u64;
        if seq + 1 == next
            && let Some(slot) = self.slots.back_mut()
            && slot.open
        {
            slot.waiting += 1;
            slot.open = !last;
            self.waiting += 1;
            return;
        }
        if seq < next {
            return;
        }
        if self.slots.is_empty() {
            self.base = seq;
        } else {
            for _ in next..seq {
                self.slots.push_back(Slot {
                    waiting: 0,
                    open: false,
                    failed: false,
                });
            }
        }
        self.slots.push_back(Slot {
            waiting: 1,
            open: !last,
            failed: false,
        });
        self.waiting += 1;
        self.pop_done();
    }

    /// The broker acknowledged a record of event `seq`. Unknown numbers,
    /// and more acks than records sent, are ignored.
    pub fn acked(&mut self, seq: u64) {
        if self.take_waiting(seq).is_some() {
            self.pop_done();
        }
    }

    /// The broker will never acknowledge a record of event `seq` (a
    /// permanent failure): stop waiting for it, but never move past it.
    pub fn failed(&mut self, seq: u64) {
        if let Some(slot) = self.take_waiting(seq) {
            slot.failed = true;
        }
    }

    /// Every record of the events numbered up to this one is acknowledged.
    pub fn delivered(&self) -> u64 {
        self.base - 1
    }

    /// Records sent and neither acknowledged nor given up on.
    pub fn waiting(&self) -> u64 {
        self.waiting
    }

    /// One record of `seq` is no longer waiting: its slot.
    fn take_waiting(&mut self, seq: u64) -> Option<&mut Slot> {
        let slot = seq
            .checked_sub(self.base)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.slots.get_mut(i))
            .filter(|s| s.waiting > 0)?;
        slot.waiting -= 1;
        self.waiting -= 1;
        Some(slot)
    }

    fn pop_done(&mut self) {
        while self.slots.front().is_some_and(Slot::done) {
            self.slots.pop_front();
            self.base += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn in_order_acks_move_the_window() {
        let mut w = Window::new();
        assert_eq!(w.delivered(), 0);
        for s in 1..=3 {
            w.sent(s, true);
        }
        assert_eq!(w.waiting(), 3);
        w.acked(1);
        assert_eq!(w.delivered(), 1);
        w.acked(2);
        w.acked(3);
        assert_eq!((w.delivered(), w.waiting()), (3, 0));
    }

    #[test]
    fn an_early_ack_waits_for_the_gap_to_close() {
        let mut w = Window::new();
        for s in 1..=4 {
            w.sent(s, true);
        }
        w.acked(3);
        w.acked(4);
        assert_eq!(w.delivered(), 0);
        w.acked(2);
        assert_eq!(w.delivered(), 0);
        w.acked(1);
        assert_eq!(w.delivered(), 4);
    }

    #[test]
    fn repeated_and_unknown_acks_change_nothing() {
        let mut w = Window::new();
        w.sent(1, true);
        w.sent(2, true);
        w.acked(2);
        w.acked(2);
        w.acked(7);
        w.acked(0);
        assert_eq!((w.delivered(), w.waiting()), (0, 1));
    }

    #[test]
    fn a_failure_pins_the_window() {
        let mut w = Window::new();
        for s in 1..=3 {
            w.sent(s, true);
        }
        w.acked(1);
        w.failed(2);
        w.acked(3);
        w.acked(2);
        assert_eq!((w.delivered(), w.waiting()), (1, 0));
    }

    #[test]
    fn numbers_not_sent_are_not_waited_for() {
        let mut w = Window::new();
        w.sent(5, true);
        assert_eq!(w.delivered(), 4);
        w.sent(8, true);
        w.acked(5);
        assert_eq!(w.delivered(), 7);
        w.acked(8);
        assert_eq!((w.delivered(), w.waiting()), (8, 0));
    }

    #[test]
    fn an_event_is_delivered_once_all_its_records_are() {
        let mut w = Window::new();
        w.sent(1, false);
        w.sent(1, false);
        w.sent(1, true);
        w.sent(2, true);
        assert_eq!(w.waiting(), 4);
        w.acked(1);
        w.acked(2);
        w.acked(1);
        assert_eq!(w.delivered(), 0);
        w.acked(1);
        assert_eq!((w.delivered(), w.waiting()), (2, 0));
    }

    #[test]
    fn an_event_whose_last_record_is_not_sent_stays_open() {
        let mut w = Window::new();
        w.sent(1, false);
        w.acked(1);
        // Acknowledged, but a further record of event 1 is still to come.
        assert_eq!(w.delivered(), 0);
        w.sent(1, true);
        assert_eq!(w.delivered(), 0);
        w.acked(1);
        assert_eq!((w.delivered(), w.waiting()), (1, 0));
    }

    #[test]
    fn a_failed_record_pins_its_event() {
        let mut w = Window::new();
        w.sent(1, false);
        w.sent(1, true);
        w.sent(2, true);
        w.failed(1);
        w.acked(1);
        w.acked(2);
        assert_eq!((w.delivered(), w.waiting()), (0, 0));
    }

    #[test]
    fn extra_acks_and_records_of_closed_events_change_nothing() {
        let mut w = Window::new();
        w.sent(1, true);
        w.sent(2, true);
        w.sent(1, true); // event 1 is closed: ignored
        w.acked(2);
        w.acked(2);
        assert_eq!((w.delivered(), w.waiting()), (0, 1));
        w.acked(1);
        assert_eq!((w.delivered(), w.waiting()), (2, 0));
    }

    proptest! {
        /// Several records per event, acked in any order: an event counts
        /// once all of its records are acked and every event before it.
        #[test]
        fn delivered_waits_for_every_record(
            counts in proptest::collection::vec(1u32..4, 1..20),
            seed in any::<u64>(),
        ) {
            let mut w = Window::new();
            let mut records = Vec::new();
            for (i, &n) in counts.iter().enumerate() {
                let seq = i as u64 + 1;
                for r in 0..n {
                    w.sent(seq, r + 1 == n);
                    records.push(seq);
                }
            }
            let mut rng = fastrand::Rng::with_seed(seed);
            rng.shuffle(&mut records);
            let mut left: Vec<u32> = counts.clone();
            for &seq in &records {
                w.acked(seq);
                left[seq as usize - 1] -= 1;
                let prefix = left.iter().take_while(|&&n| n == 0).count() as u64;
                prop_assert_eq!(w.delivered(), prefix);
            }
            prop_assert_eq!(w.waiting(), 0);
        }


        /// Whatever order the acks come in, `delivered` is the longest
        /// acknowledged prefix, and never goes back.
        #[test]
        fn delivered_is_the_acknowledged_prefix(
            order in Just((1..=60u64).collect::<Vec<_>>()).prop_shuffle(),
            acks in 0usize..=60,
        ) {
            let mut w = Window::new();
            for s in 1..=60 {
                w.sent(s, true);
            }
            let mut done = std::collections::BTreeSet::new();
            let mut last = 0;
            for &s in &order[..acks] {
                w.acked(s);
                done.insert(s);
                let prefix = (1..=60).take_while(|s| done.contains(s)).count() as u64;
                prop_assert_eq!(w.delivered(), prefix);
                prop_assert!(w.delivered() >= last);
                last = w.delivered();
            }
            prop_assert_eq!(w.waiting(), 60 - acks as u64);
        }
    }
}

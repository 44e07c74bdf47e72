//! What waits for the next batching round, group by group (see [`GroupKey`]): how many events,
//! and since when. The worker asks it when a round is due; a round asks it which groups have
//! waited long enough to go out in a batch that is not full.

use std::time::{Duration, Instant};

use super::batcher::GroupKey;

#[derive(Debug, Default)]
pub(super) struct Backlog {
    /// A handful at most: one per category and set of grants in use.
    groups: Vec<Waiting>,
}

#[derive(Debug)]
struct Waiting {
    key: GroupKey,
    count: usize,
    /// When the oldest of these events arrived, or earlier, never later: no event waits
    /// longer than the batching age because of this.
    since: Instant,
    /// When the group filled a batch: what a round leaves of it arrived after that.
    full_at: Option<Instant>,
}

impl Backlog {
    /// Counts one more event of `key`, arrived at `now`. True once the group fills a batch.
    pub(super) fn add(&mut self, key: GroupKey, now: Instant, max_events: usize) -> bool {
        let index = match self.groups.iter().position(|w| w.key == key) {
            Some(index) => index,
            None => {
                self.groups.push(Waiting {
                    key,
                    count: 0,
                    since: now,
                    full_at: None,
                });
                self.groups.len() - 1
            }
        };
        let waiting = &mut self.groups[index];
        waiting.count += 1;
        if waiting.count >= max_events {
            waiting.full_at.get_or_insert(now);
            return true;
        }
        false
    }

    /// Whether `key` should go out now even in a batch that is not full: it has waited half
    /// of `max_age` by `now`. A round due for another group takes it along, rather than
    /// leave it for a round of its own a moment later. A group it does not know goes out.
    pub(super) fn aged(&self, key: &GroupKey, now: Instant, max_age: Duration) -> bool {
        self.groups
            .iter()
            .find(|w| w.key == *key)
            .is_none_or(|w| w.since + max_age / 2 <= now)
    }

    /// When the next round is due: when a group filled a batch, or when the oldest group has
    /// waited `max_age`.
    pub(super) fn due(&self, max_age: Duration) -> Option<Instant> {
        self.groups
            .iter()
            .map(|w| w.full_at.unwrap_or(w.since + max_age))
            .min()
    }

    /// Counts the groups again from `keys` (the events now waiting), after a round or after
    /// events were removed. A group keeps its age; one a round sealed full batches of is as
    /// old as the moment it filled, since what is left arrived after. A group not seen before
    /// (a purge can change an event's grants) is as old as the oldest known.
    pub(super) fn recount(
        &mut self,
        keys: impl IntoIterator<Item = GroupKey>,
        now: Instant,
        max_events: usize,
        after_round: bool,
    ) {
        let old = std::mem::take(&mut self.groups);
        let oldest = old.iter().map(|w| w.since).min().unwrap_or(now);
        for key in keys {
            match self.groups.iter_mut().find(|w| w.key == key) {
                Some(waiting) => waiting.count += 1,
                None => {
                    let since = old.iter().find(|w| w.key == key).map_or(oldest, |w| {
                        if after_round {
                            w.full_at.unwrap_or(w.since)
                        } else {
                            w.since
                        }
                    });
                    self.groups.push(Waiting {
                        key,
                        count: 1,
                        since,
                        full_at: None,
                    });
                }
            }
        }
        for waiting in &mut self.groups {
            if waiting.count >= max_events {
                waiting.full_at = Some(waiting.since);
            }
        }
    }

    pub(super) fn clear(&mut self) {
        self.groups.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::Category;

    const AGE: Duration = Duration::from_secs(60);

    fn key(category: Category) -> GroupKey {
        GroupKey::for_tests(category)
    }

    #[test]
    fn a_round_is_due_when_a_group_fills_or_the_oldest_has_waited_the_age() {
        let t0 = Instant::now();
        let mut backlog = Backlog::default();
        assert_eq!(backlog.due(AGE), None);
        assert!(!backlog.add(key(Category::Analytics), t0, 3));
        let t1 = t0 + Duration::from_secs(10);
        assert!(!backlog.add(key(Category::Diagnostics), t1, 3));
        assert_eq!(backlog.due(AGE), Some(t0 + AGE));
        assert!(!backlog.add(key(Category::Diagnostics), t1, 3));
        let t2 = t0 + Duration::from_secs(20);
        assert!(backlog.add(key(Category::Diagnostics), t2, 3));
        assert_eq!(backlog.due(AGE), Some(t2));
    }

    /// What a round leaves of a group that filled arrived after it filled; a group the round
    /// did not touch keeps its age, so carrying never makes an event wait past the age.
    #[test]
    fn a_recount_after_a_round_keeps_every_group_no_younger_than_its_events() {
        let t0 = Instant::now();
        let mut backlog = Backlog::default();
        backlog.add(key(Category::Analytics), t0, 2);
        let t1 = t0 + Duration::from_secs(40);
        backlog.add(key(Category::Diagnostics), t1, 2);
        assert!(backlog.add(key(Category::Diagnostics), t1, 2));
        let t2 = t0 + Duration::from_secs(41);
        // The round sealed diagnostics' full batch and carried one event of each group.
        backlog.recount(
            [key(Category::Analytics), key(Category::Diagnostics)],
            t2,
            2,
            true,
        );
        assert_eq!(backlog.due(AGE), Some(t0 + AGE), "analytics keeps its age");
        assert!(
            backlog.aged(&key(Category::Analytics), t2, AGE),
            "past half"
        );
        assert!(!backlog.aged(&key(Category::Diagnostics), t2, AGE));
        backlog.recount([key(Category::Analytics)], t2, 2, true);
        assert_eq!(backlog.due(AGE), Some(t0 + AGE));
        // A group it has never seen goes out with the next round.
        assert!(backlog.aged(&key(Category::Sensors), t2, AGE));
    }
}

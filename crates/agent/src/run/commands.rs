//! Remembering which commands ran. The same command can arrive twice, once in a check-in
//! reply and once over the channel, and its id makes running it idempotent.

use std::collections::VecDeque;

/// The ids of the last [`SeenCommands::CAPACITY`] commands run; bounded so a long-running
/// agent does not grow.
#[derive(Debug, Default)]
pub struct SeenCommands {
    ids: VecDeque<i64>,
}

impl SeenCommands {
    /// How many ids are remembered; far more than the commands of a few check-ins.
    pub const CAPACITY: usize = 256;

    /// Records `id`; returns `false` if it was already seen, so the command is skipped.
    pub fn first_time(&mut self, id: i64) -> bool {
        if self.ids.contains(&id) {
            return false;
        }
        if self.ids.len() == Self::CAPACITY {
            self.ids.pop_front();
        }
        self.ids.push_back(id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(seen: &mut SeenCommands, ids: &[i64], expected: &[bool]) {
        let actual: Vec<bool> = ids.iter().map(|id| seen.first_time(*id)).collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn runs_each_command_once_and_stays_bounded() {
        let mut seen = SeenCommands::default();
        check(
            &mut seen,
            &[1, 2, 1, 3, 2],
            &[true, true, false, true, false],
        );
        let many: Vec<i64> = (100..100 + SeenCommands::CAPACITY as i64).collect();
        check(&mut seen, &many, &vec![true; many.len()]);
        assert_eq!(seen.ids.len(), SeenCommands::CAPACITY);
        check(&mut seen, &[1, 101, 100], &[true, false, true]);
    }
}

//! Switch uplinks: `ifconfig BR addm IF` / `deletem IF`. The member itself is never
//! destroyed.

use super::ifconfig;
use crate::exec::Step;

pub(crate) fn create(switch: &str, member: &str) -> Vec<Step> {
    vec![Step::new(ifconfig([switch, "addm", member]))]
}

pub(crate) fn delete(switch: &str, member: &str) -> Vec<Step> {
    vec![Step::new(ifconfig([switch, "deletem", member]))]
}

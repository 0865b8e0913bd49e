//! Messages in the official's language (zh-CN or en) for reason codes and refusals.

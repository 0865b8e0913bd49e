//! A realistic demo district: Jiaxing-like people, communities, grids and tags.

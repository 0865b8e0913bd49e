//! Identity numbers, phones and text normalisation: the rules every roster row is judged by.

// The chapter's data, trimmed for --quick, and test images picked for the figures.

import Datasets

extension ImageSet {
    /// Every `k`th image when `quick` (a quick run's smaller split), else the whole set.
    func thinned(every k: Int, quick: Bool) -> ImageSet {
        quick ? subset(Array(stride(from: 0, to: count, by: k))) : self
    }

    /// The pixels of `shown` images spread over the split (a test split is sorted by class), for the
    /// figures.
    func spread(_ shown: Int) -> [UInt8] {
        (0..<shown).flatMap { Array(image($0 * (count / shown))) }
    }
}

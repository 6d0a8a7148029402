// The causal masks of chapter 3 written out as matrices of 0 and 1: the 5x5 masks A and B, and
// the centre tap with R, G, B channel groups.

import Models

/// Prints mask A (checked against the lecture's matrix) and mask B at 5x5, then the centre tap of
/// each with R, G, B channel groups (rows: output R, G, B; columns: input R, G, B).
func printMasks() {
    func rows(_ m: [[Int]]) -> String {
        m.map { "    " + $0.map(String.init).joined(separator: " ") }.joined(separator: "\n")
    }
    let maskA = CausalMask.a.matrix(kernelSize: 5)
    print(
        "mask A, 5x5 (the first layer; equal to the lecture's matrix: \(maskA == CausalMask.lecture5x5)):\n"
            + rows(maskA))
    print("mask B, 5x5 (every later layer):\n" + rows(CausalMask.b.matrix(kernelSize: 5)))
    print("the centre tap with RGB channel groups (rows: output R, G, B; columns: input R, G, B):")
    print("  mask A:\n" + rows(centreTap(.a)) + "\n  mask B:\n" + rows(centreTap(.b)))
}

/// The centre tap of a mask with R, G, B channel groups: entry (g, h) is 1 when output group g
/// reads input group h of the same pixel (rows output R, G, B; columns input R, G, B).
func centreTap(_ mask: CausalMask) -> [[Int]] {
    (0..<3).map { g in (0..<3).map { h in mask.connectsAtCentre(output: g, input: h) ? 1 : 0 } }
}

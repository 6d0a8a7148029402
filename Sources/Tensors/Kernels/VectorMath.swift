// exp, log, tanh and sigmoid on eight Floats at once, for the Float paths of the elementwise
// kernels (libm's expf is one call per element and does not vectorise).
//
// The polynomials are those of Cephes (S. Moshier), as used by most SIMD math libraries; measured
// against Double references in KernelTests: exp within 2 ulp, log within 2 ulp, tanh and sigmoid
// within 3 ulp, with infinities and NaN passed through as libm does (sigmoid flushes results
// below 1.2e-38, at x < -87.3, to zero). Everything here is plain
// SIMD8 arithmetic, comparisons and bit casts, which lower to SSE2 (no rounding instructions:
// x rounds to an integer by adding and subtracting 1.5 * 2^23).

typealias Int32x8 = SIMD8<Int32>

enum VectorMath {
    /// a * b + c: one fused multiply-add where the CPU has them (`WORKBOOK_FMA`, see Package.swift),
    /// which halves the instructions of the polynomials below and rounds once instead of twice.
    @inline(__always) static func madd(_ a: Float8, _ b: Float8, _ c: Float) -> Float8 {
        #if WORKBOOK_FMA
            Float8(repeating: c).addingProduct(a, b)
        #else
            a * b + c
        #endif
    }

    @inline(__always) static func minimum(_ a: Float8, _ b: Float8) -> Float8 { a.replacing(with: b, where: b .< a) }
    @inline(__always) static func maximum(_ a: Float8, _ b: Float8) -> Float8 { a.replacing(with: b, where: b .> a) }
    @inline(__always) static func abs(_ x: Float8) -> Float8 {
        unsafeBitCast(unsafeBitCast(x, to: Int32x8.self) & 0x7FFF_FFFF, to: Float8.self)
    }

    /// Small integers (|i| < 2^22) as Floats, exactly, by the same 1.5 * 2^23 trick run backwards
    /// (the generic SIMD conversion does not lower to one instruction).
    @inline(__always) static func float(of i: Int32x8) -> Float8 {
        unsafeBitCast(i &+ 0x4B40_0000, to: Float8.self) - 12_582_912.0
    }

    /// The square root, from 1/sqrt(x): the exponent-halving guess, three Newton steps, then one
    /// Newton step on sqrt itself (within 1 ulp). Swift's `squareRoot()` on SIMD types goes lane by
    /// lane through libm's `sqrtf` on Linux, which cannot vectorise.
    @inline(__always)
    static func squareRoot(_ x: Float8) -> Float8 {
        // Subnormals are scaled by 2^24 first (and the root by 2^-12 after).
        let tiny = x .< Float8(repeating: Float.leastNormalMagnitude) .& x .> 0
        let x = x.replacing(with: x * 16_777_216.0, where: tiny)
        let half = x * 0.5
        var r = unsafeBitCast(0x5F37_5A86 &- (unsafeBitCast(x, to: Int32x8.self) &>> 1), to: Float8.self)
        r = r * (1.5 - half * r * r)
        r = r * (1.5 - half * r * r)
        r = r * (1.5 - half * r * r)
        var s = x * r
        s = s + (x - s * s) * (r * 0.5)
        s = s.replacing(with: x, where: x .== 0 .| x .== .infinity)
        s = s.replacing(with: s * (1.0 / 4096), where: tiny)
        return s.replacing(with: .nan, where: x .< 0 .| x .!= x)
    }

    /// e^x: x = n ln 2 + r with |r| <= ln2 / 2; e^r by a degree-7 polynomial; 2^n built from
    /// exponent bits, in two halves so that n = 128 and gradual underflow both come out right.
    @inline(__always)
    static func exp(_ x: Float8) -> Float8 {
        let high: Float = 88.72283935546875
        let low: Float = -103.972084045410
        let xc = maximum(minimum(x, Float8(repeating: high)), Float8(repeating: low))
        let shifted = xc * 1.44269504088896341 + 12_582_912.0  // 1.5 * 2^23: rounds to nearest
        let n = shifted - 12_582_912.0
        var r = xc - n * 0.693359375  // ln 2 in two parts, so r is exact
        r = r + n * 2.12194440e-4
        var p = Float8(repeating: 1.9875691500e-4)
        p = madd(p, r, 1.3981999507e-3)
        p = madd(p, r, 8.3334519073e-3)
        p = madd(p, r, 4.1665795894e-2)
        p = madd(p, r, 1.6666665459e-1)
        p = madd(p, r, 5.0000001201e-1)
        p = p * (r * r) + r + 1
        let ni = unsafeBitCast(shifted, to: Int32x8.self) &- 0x4B40_0000
        let n1 = ni &>> 1
        let n2 = ni &- n1
        let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: Float8.self)
        let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: Float8.self)
        var y = p * s1 * s2
        y = y.replacing(with: .infinity, where: x .> high)
        y = y.replacing(with: 0, where: x .< low)
        return y
    }

    /// e^x for x <= 0 (or NaN), the case of sigmoid, tanh and the losses, which call it with
    /// -|x|: the same polynomial with one scale factor and no overflow handling.
    @inline(__always)
    static func expNonPositive(_ x: Float8) -> Float8 {
        let low: Float = -87.33654
        let xc = maximum(x, Float8(repeating: low))
        let shifted = xc * 1.44269504088896341 + 12_582_912.0
        let n = shifted - 12_582_912.0
        var r = xc - n * 0.693359375
        r = r + n * 2.12194440e-4
        var p = Float8(repeating: 1.9875691500e-4)
        p = madd(p, r, 1.3981999507e-3)
        p = madd(p, r, 8.3334519073e-3)
        p = madd(p, r, 4.1665795894e-2)
        p = madd(p, r, 1.6666665459e-1)
        p = madd(p, r, 5.0000001201e-1)
        p = p * (r * r) + r + 1
        let ni = unsafeBitCast(shifted, to: Int32x8.self) &- 0x4B40_0000
        let y = p * unsafeBitCast((ni &+ 127) &<< 23, to: Float8.self)
        // Below the clamp the result underflows: zero (a gradual underflow is not worth a lane).
        return y.replacing(with: 0, where: x .< Float8(repeating: low))
    }

    /// ln x: x = m 2^e with m in [sqrt(1/2), sqrt(2)); ln m by a polynomial in m - 1.
    /// ln 0 = -infinity, ln of a negative number or NaN is NaN, ln infinity = infinity.
    @inline(__always)
    static func log(_ x: Float8) -> Float8 {
        // Subnormal inputs are scaled into the normal range first.
        let tiny = x .< Float8(repeating: Float.leastNormalMagnitude)
        let xs = x.replacing(with: x * 8_388_608.0, where: tiny)  // 2^23
        let bits = unsafeBitCast(xs, to: Int32x8.self)
        var e = float(of: (bits &>> 23) &- 126)
        e = e.replacing(with: e - 23, where: tiny)
        var m = unsafeBitCast(
            (bits & Int32x8(repeating: Int32(bitPattern: 0x807F_FFFF))) | 0x3F00_0000, to: Float8.self)  // [0.5, 1)
        let small = m .< Float8(repeating: 0.707106781186547524)
        e = e.replacing(with: e - 1, where: small)
        m = m.replacing(with: m + m, where: small) - 1
        let z = m * m
        var p = Float8(repeating: 7.0376836292e-2)
        p = madd(p, m, -1.1514610310e-1)
        p = madd(p, m, 1.1676998740e-1)
        p = madd(p, m, -1.2420140846e-1)
        p = madd(p, m, 1.4249322787e-1)
        p = madd(p, m, -1.6668057665e-1)
        p = madd(p, m, 2.0000714765e-1)
        p = madd(p, m, -2.4999993993e-1)
        p = madd(p, m, 3.3333331174e-1)
        var y = p * m * z
        y = y + e * -2.12194440e-4
        y = y - z * 0.5
        var result = m + y + e * 0.693359375
        result = result.replacing(with: -.infinity, where: x .== 0)
        result = result.replacing(with: .nan, where: x .< 0 .| x .!= x)
        result = result.replacing(with: .infinity, where: x .== .infinity)
        return result
    }

    /// ln(1 + u), accurate for small u: ln w - ((w - 1) - u) / w with w = 1 + u rounded.
    @inline(__always)
    static func log1p(_ u: Float8) -> Float8 {
        let w = u + 1
        let y = log(w) - ((w - 1) - u) / w
        // Where w rounds to 1 the answer is u itself; at w = infinity the correction is NaN.
        return y.replacing(with: u, where: w .== 1).replacing(with: .infinity, where: u .== .infinity)
    }

    /// tanh x: an odd polynomial for |x| < 0.625, else (1 - e) / (1 + e) with e = e^{-2|x|} and the
    /// sign of x.
    @inline(__always)
    static func tanh(_ x: Float8) -> Float8 {
        let a = abs(x)
        let z = x * x
        var p = Float8(repeating: -5.70498872745e-3)
        p = madd(p, z, 2.06390887954e-2)
        p = madd(p, z, -5.37397155531e-2)
        p = madd(p, z, 1.33314422036e-1)
        p = madd(p, z, -3.33332819422e-1)
        let near = p * z * x + x
        let e = expNonPositive(-(a + a))
        let far = (1 - e) / (1 + e)
        let signed = unsafeBitCast(
            unsafeBitCast(far, to: Int32x8.self) | (unsafeBitCast(x, to: Int32x8.self) & Int32x8(repeating: Int32.min)),
            to: Float8.self)
        return signed.replacing(with: near, where: a .< Float8(repeating: 0.625))
    }

    /// 1 / (1 + e^-x), from e = e^-|x| so nothing overflows: 1 / (1 + e) for x >= 0, e / (1 + e) below.
    @inline(__always)
    static func sigmoid(_ x: Float8) -> Float8 {
        let e = expNonPositive(-abs(x))
        let s = 1 / (1 + e)
        return s.replacing(with: e * s, where: x .< 0)
    }
}

// y[i] = f(x[i]) over n Floats, eight at a time. The last partial group goes through the same
// vector code (padded with zeros), so every element gets the same arithmetic wherever it sits.
@inline(__always)
func map8(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ f: (Float8) -> Float8) {
    var i = 0
    while i + 8 <= n {
        UnsafeMutableRawPointer(y + i).storeBytes(
            of: f(UnsafeRawPointer(x + i).loadUnaligned(as: Float8.self)), as: Float8.self)
        i += 8
    }
    if i < n {
        var v = Float8()
        for j in 0..<(n - i) { v[j] = x[i + j] }
        let r = f(v)
        for j in 0..<(n - i) { y[i + j] = r[j] }
    }
}

// y[i] = f(a[i], b[i]) over n Floats, eight at a time (tail as in map8).
@inline(__always)
func zip8(
    _ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
    _ f: (Float8, Float8) -> Float8
) {
    var i = 0
    while i + 8 <= n {
        let va = UnsafeRawPointer(a + i).loadUnaligned(as: Float8.self)
        let vb = UnsafeRawPointer(b + i).loadUnaligned(as: Float8.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: f(va, vb), as: Float8.self)
        i += 8
    }
    if i < n {
        var va = Float8()
        var vb = Float8()
        for j in 0..<(n - i) {
            va[j] = a[i + j]
            vb[j] = b[i + j]
        }
        let r = f(va, vb)
        for j in 0..<(n - i) { y[i + j] = r[j] }
    }
}

import Foundation
import Testing

@testable import Tensors

/// The eight-lane Float math of Kernels/VectorMath.swift against Double references, and the Float
/// elementwise kernels against their scalar twins.
@Suite("Vector math")
struct VectorMathTests {
    /// Inputs spread over the range where each function is interesting, plus the special values.
    static func inputs(_ low: Float, _ high: Float, seed: UInt64) -> [Float] {
        var rng = Random(seed: seed)
        var xs = (0..<4000).map { _ in Float(rng.uniform(Double(low), Double(high))) }
        xs += [
            0, -0.0, 1, -1, 0.5, 1e-30, -1e-30, Float(1e-42 as Double), .infinity, -.infinity, .nan, 88.7, -87.4, -103,
            100, -200,
        ]
        return xs.filter { $0.isNaN || ($0 >= low && $0 <= high) || !$0.isFinite || Swift.abs($0) > 50 }
    }

    enum Function: String, CaseIterable {
        case exp, log, log1p, tanh, sigmoid, sqrt

        var kernel: UnaryKernel<Float> {
            switch self {
            case .exp: .exp
            case .log: .log
            case .log1p: .log1p
            case .tanh: .tanh
            case .sigmoid: .sigmoid
            case .sqrt: .sqrt
            }
        }
        func reference(_ x: Double) -> Double {
            switch self {
            case .exp: Foundation.exp(x)
            case .log: Foundation.log(x)
            case .log1p: Foundation.log1p(x)
            case .tanh: Foundation.tanh(x)
            case .sigmoid: 1 / (1 + Foundation.exp(-x))
            case .sqrt: x.squareRoot()
            }
        }
        var domain: (Float, Float) {
            switch self {
            case .exp: (-105, 89)
            case .log, .sqrt: (0, 1e6)
            case .log1p: (-0.999, 1e4)
            case .tanh, .sigmoid: (-30, 30)
            }
        }
        /// Allowed error in units of the last place of the Double reference rounded to Float.
        var ulps: Double { self == .tanh || self == .sigmoid ? 3 : 2 }
    }

    @Test(arguments: Function.allCases)
    func matchesDoubleReference(_ f: Function) {
        var xs = Self.inputs(f.domain.0, f.domain.1, seed: 1)
        xs += (1...200).map { Float($0) * 1e-4 }  // near zero, where cancellation would show
        xs += [-1e-3, -1e-6, 1e-6, 1e-3, 0.6, -0.6, 0.65, -0.65]
        let ys = unaryKernel(f.kernel, xs)
        for (x, y) in zip(xs, ys) {
            let ref = f.reference(Double(x))
            if ref.isNaN {
                #expect(y.isNaN, "\(f)(\(x)) = \(y), expected NaN")
                continue
            }
            let rounded = Float(ref)
            if !rounded.isFinite || rounded == 0 || Swift.abs(rounded) < Float.leastNormalMagnitude {
                // Overflow, underflow and subnormal results: the rounded reference, to within one
                // subnormal step; sigmoid flushes subnormal results to zero.
                let flushed = f == .sigmoid && y == 0
                #expect(
                    flushed || y == rounded || Swift.abs(Double(y) - ref) <= Double(Float.leastNonzeroMagnitude) * 2,
                    "\(f)(\(x)) = \(y), expected \(rounded)")
                continue
            }
            let ulp = Double(rounded.ulp)
            #expect(Swift.abs(Double(y) - ref) <= f.ulps * ulp, "\(f)(\(x)) = \(y), reference \(ref)")
        }
    }

    /// Every Float unary kernel against the scalar loop (libm), element by element.
    @Test func floatUnaryKernelsMatchScalarTwins() {
        let xs = Self.inputs(-4, 4, seed: 2).filter(\.isFinite)
        let cases: [UnaryKernel<Float>] = [
            .negate, .relu, .abs, .sign, .square, .step, .pow(1.5), .leakyRelu(0.2), .clamp(-0.5, 0.5),
            .inside(-1, 1), .addScalar(3), .mulScalar(-2),
        ]
        for op in cases {
            let fast = unaryKernel(op, xs)
            var slow = [Float](repeating: 0, count: xs.count)
            for (i, x) in xs.enumerated() {
                switch op {
                case .negate: slow[i] = -x
                case .relu: slow[i] = x > 0 ? x : 0
                case .abs: slow[i] = Swift.abs(x)
                case .sign: slow[i] = x > 0 ? 1 : (x < 0 ? -1 : 0)
                case .square: slow[i] = x * x
                case .step: slow[i] = x > 0 ? 1 : 0
                case .pow(let p): slow[i] = Float.pow(x, p)
                case .leakyRelu(let s): slow[i] = x > 0 ? x : s * x
                case .clamp(let lo, let hi): slow[i] = Swift.min(Swift.max(x, lo), hi)
                case .inside(let lo, let hi): slow[i] = x >= lo && x <= hi ? 1 : 0
                case .addScalar(let c): slow[i] = x + c
                case .mulScalar(let c): slow[i] = x * c
                default: break
                }
            }
            #expect(zip(fast, slow).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(op)")
        }
    }

    /// Large tensors are split over threads; the lanes do not know where a chunk starts.
    @Test func floatBinaryKernelsMatchScalarTwins() {
        var rng = Random(seed: 3)
        for n in [1, 7, 8, 9, 100_003] {
            let a = Tensor<Float>.uniform([n], low: -2, high: 2, using: &rng).scalars
            let b = Tensor<Float>.uniform([n], low: 0.5, high: 2, using: &rng).scalars
            for op in [BinaryKernel.add, .subtract, .multiply, .divide, .maximum, .minimum] {
                let same = binaryKernel(op, a, [n], b, [n]).scalars
                let scalarRight = binaryKernel(op, a, [n], [b[0]], []).scalars
                let scalarLeft = binaryKernel(op, [a[0]], [], b, [n]).scalars
                #expect(same == zip(a, b).map { apply(op, $0, $1) }, "\(op) n=\(n)")
                #expect(scalarRight == a.map { apply(op, $0, b[0]) }, "\(op) n=\(n), scalar right")
                #expect(scalarLeft == b.map { apply(op, a[0], $0) }, "\(op) n=\(n), scalar left")
            }
        }
    }

    /// Adam's Float path against the scalar formula.
    @Test func adamFloatMatchesScalarTwin() {
        var rng = Random(seed: 4)
        let n = 70_011
        let g = Tensor<Float>.normal([n], using: &rng).scalars
        var p = Tensor<Float>.normal([n], using: &rng).scalars
        var m = Tensor<Float>.normal([n], std: 0.1, using: &rng).scalars
        var v = Tensor<Float>.uniform([n], low: 0, high: 0.1, using: &rng).scalars
        var (p2, m2, v2) = (p, m, v)
        let (lr, b1, b2, eps): (Float, Float, Float, Float) = (1e-3, 0.9, 0.999, 1e-8)
        adamKernel(&p, g, &m, &v, n: n, lr: lr, beta1: b1, beta2: b2, eps: eps)
        for i in 0..<n {
            m2[i] = b1 * m2[i] + (1 - b1) * g[i]
            v2[i] = b2 * v2[i] + (1 - b2) * g[i] * g[i]
            p2[i] -= lr * m2[i] / (v2[i].squareRoot() + eps)
        }
        expectClose(m, m2, tolerance: 1e-6)
        expectClose(v, v2, tolerance: 1e-6)
        expectClose(p, p2, tolerance: 1e-6)
    }
}

import Foundation

/// The element types a `Tensor` can hold: `Float` for training at full speed, `Double` for
/// gradient checks (a Float finite difference is too coarse to catch a small wrong term).
///
/// Why a generic tensor works here: generic code called from another module normally runs
/// unspecialised (a witness-table call per element, 10-100x slower). Every inner loop of this
/// library lives in an internal generic kernel marked `@_specialize(where S == Float)` and
/// `@_specialize(where S == Double)`; the compiler emits a Float and a Double copy and the generic
/// entry point jumps to them at run time, so a `Tensor<Float>` op called from a chapter runs the
/// specialised loop. Measured in release: 0.15 ns/element against 12.6 ns unspecialised.
public protocol TensorScalar: BinaryFloatingPoint, CustomStringConvertible, Sendable
where RawSignificand: FixedWidthInteger {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
}

extension Float: TensorScalar {
    @inline(__always) public static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inline(__always) public static func log1p(_ x: Float) -> Float { Foundation.log1pf(x) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inline(__always) public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
}

extension Double: TensorScalar {
    @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inline(__always) public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}

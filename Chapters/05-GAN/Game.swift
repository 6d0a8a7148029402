import Foundation
import Tensors

/// The path of gradient play on min_x max_y x y from (1, 1): `steps` steps of size `eta`, x
/// descending and y ascending. Simultaneous steps use the gradient at the current point for both;
/// alternating ones move x first, then y with the gradient at the new x (as GAN code alternates
/// D and G). The gradient (df/dx, df/dy) = (y, x) comes from autodiff.
func gradientPlay(alternating: Bool, eta: Double, steps: Int) -> [(Double, Double)] {
    var point = (x: 1.0, y: 1.0)
    var path = [(point.x, point.y)]
    func gradient(_ x: Double, _ y: Double) -> (dx: Double, dy: Double) {
        let (_, g) = valueAndGradient(at: [Tensor<Double>(x), Tensor<Double>(y)]) { t in t[0] * t[1] }
        return (g[0].item, g[1].item)
    }
    for _ in 0..<steps {
        let g = gradient(point.x, point.y)
        let x = point.x - eta * g.dx  // x minimises
        let y = point.y + eta * (alternating ? gradient(x, point.y).dy : g.dy)  // y maximises
        point = (x, y)
        path.append(point)
    }
    return path
}

/// The distance of a point from the equilibrium (0, 0).
func radius(_ p: (Double, Double)) -> Double { (p.0 * p.0 + p.1 * p.1).squareRoot() }

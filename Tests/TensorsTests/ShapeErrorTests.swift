import Foundation
import Tensors
import Testing

/// Shape errors are programmer errors: the process stops with a message naming both shapes.
/// (Exit tests run the body in a child process and observe how it ends.)
@Suite("Shape errors")
struct ShapeErrorTests {
    @Test func matmulNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.matmul(Tensor<Float>.zeros([2, 3]), Tensor<Float>.zeros([4, 5]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4, 5]"), "\(message)")
    }

    @Test func broadcastNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Float>.zeros([2, 3]) + Tensor<Float>.zeros([4])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4]"), "\(message)")
    }
}

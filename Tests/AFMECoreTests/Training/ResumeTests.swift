// A run stopped by the progress hook, saved with its resume state, loaded and resumed gives the
// uninterrupted run's losses, validations and final checkpoint bit for bit (fixed seed and threads).
import XCTest
import AFMECore

final class ResumeTests: XCTestCase {
    func request(_ kind: String) throws -> ModelRequest {
        var r = try ModelRequest(kind: kind)
        r.training.dim = 16; r.training.negatives = 8; r.training.batchSize = 128; r.training.epochs = 6
        r.training.validateEvery = 2; r.training.patience = 0; r.training.threads = 2; r.training.seed = 5
        r.afme.attentionLayers = 1; r.afme.attentionTokens = 2; r.afme.noiseDim = 4; r.afme.discriminatorHidden = 8
        r.afme.adversarialSamples = 16
        if kind == "adamf_mat" || kind == "native" {
            try r.set("generator_hidden", "8"); try r.set("noise_dim", "4"); try r.set("adversarial_weight", "0.1")
        }
        return r
    }

    func graph() throws -> KnowledgeGraph {
        var spec = SyntheticGraphSpec(); spec.entities = 300; spec.relations = 5
        return try SyntheticGraph.make(spec)
    }

    func checkResumeEqualsUninterrupted(_ kind: String) throws {
        let kg = try graph(), req = try request(kind)
        let (full, fullRun) = try ModelRegistry.train(graph: kg, request: req)
        XCTAssertNil(fullRun.resume, "an uninterrupted run keeps no resume state")
        let (stopped, stoppedRun) = try ModelRegistry.train(graph: kg, request: req) { $0.epoch < 3 }
        XCTAssertTrue(stoppedRun.stoppedByCallback)
        let state = try XCTUnwrap(stoppedRun.resume)
        XCTAssertEqual(state.epochsDone, 3)
        // Through a checkpoint, as a caller would: save, load, resume.
        let file = try Checkpoint.decodeFile(
            Checkpoint.encode(stopped, history: stoppedRun.history, resume: state))
        let loaded = try XCTUnwrap(file.resume)
        let (resumed, resumedRun) = try ModelRegistry.resume(
            graph: kg, model: file.model, state: loaded, history: file.history)
        XCTAssertEqual(resumedRun.history.map(\.epoch), Array(1...6))
        XCTAssertEqual(
            resumedRun.history.map(\.meanLoss.bitPattern), fullRun.history.map(\.meanLoss.bitPattern), "\(kind) losses")
        XCTAssertEqual(resumedRun.history.map(\.validation), fullRun.history.map(\.validation), "\(kind) validations")
        XCTAssertEqual(resumedRun.bestEpoch, fullRun.bestEpoch)
        XCTAssertEqual(resumedRun.postTraining.map(\.kept), fullRun.postTraining.map(\.kept))
        XCTAssertTrue(Checkpoint.encode(resumed) == Checkpoint.encode(full), "\(kind): final weights differ")
    }

    func testStructuralRunResumesBitForBit() throws { try checkResumeEqualsUninterrupted("rotate") }

    func testAFMERunResumesBitForBit() throws { try checkResumeEqualsUninterrupted("afme") }

    func testPeerRunsResumeBitForBit() throws {
        try checkResumeEqualsUninterrupted("adamf_mat")
        try checkResumeEqualsUninterrupted("native")
    }

    func testResumeIsRefusedOnAnotherDatasetOrWithoutNewEpochs() throws {
        let kg = try graph(), req = try request("rotate")
        let (stopped, run) = try ModelRegistry.train(graph: kg, request: req) { $0.epoch < 2 }
        let state = try XCTUnwrap(run.resume)
        var spec = SyntheticGraphSpec(); spec.entities = 300; spec.relations = 5; spec.seed = 99
        let other = try SyntheticGraph.make(spec)
        XCTAssertThrowsError(try ModelRegistry.resume(graph: other, model: stopped, state: state, history: run.history))
        {
            XCTAssertTrue("\($0)".contains("another dataset"), "\($0)")
        }
        XCTAssertThrowsError(
            try ModelRegistry.resume(graph: kg, model: stopped, state: state, history: run.history, epochs: 2)
        ) { XCTAssertTrue("\($0)".contains("ask for more"), "\($0)") }
    }
}

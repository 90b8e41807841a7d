using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Api.Wire.Training;

/// <summary>Which route a forward/backward body arrived on; the JSON shapes differ.</summary>
public enum ForwardBackwardRoute
{
    /// <summary><c>POST /api/v1/forward_backward</c>: protobuf (SDK ≥ 0.21) or JSON with <c>forward_backward_input</c>.</summary>
    ForwardBackward = 0,

    /// <summary><c>POST /api/v1/forward</c> (SDK &lt; 0.25): JSON with <c>forward_input</c>; always forward only.</summary>
    Forward = 1,
}

/// <summary>
/// A decoded forward / forward_backward request, whichever wire format carried it.
/// </summary>
/// <param name="SeqId">Null when absent (JSON without seq_id, or 0 on the protobuf wire).</param>
/// <param name="ForwardOnly">True for <c>/api/v1/forward</c> and for protobuf <c>forward_only</c>: no gradients.</param>
public sealed record ForwardBackwardWireRequest(string ModelId, long? SeqId, bool ForwardOnly, ForwardBackwardBatch Batch);

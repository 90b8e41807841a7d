using Google.Protobuf;
using TinkerServer.Application.Abstractions.Compute;
using AppStopReason = TinkerServer.Application.Abstractions.Compute.StopReason;
using ProtoSampledSequence = TinkerServer.Api.Protos.TinkerPublic.SampledSequence;
using ProtoStopReason = TinkerServer.Api.Protos.TinkerPublic.StopReason;
using SampleResponse = TinkerServer.Api.Protos.TinkerPublic.SampleResponse;
using TopkPromptLogprobs = TinkerServer.Api.Protos.TinkerPublic.TopkPromptLogprobs;

namespace TinkerServer.Api.Wire.Sampling;

/// <summary>
/// Encodes a sample result for retrieve_future: protobuf <c>SampleResponse</c> (SDK 0.25; 0.18.1–0.24 when asked)
/// or the older JSON shape.
/// </summary>
public static class SampleOutputWire
{
    /// <summary>What an empty top-k cell holds on the protobuf wire (§7.2); the SDK trims such cells.</summary>
    public const int EmptyCellToken = 0;

    public const float EmptyCellLogprob = -99999.0f;

    public static byte[] ToProtobuf(SampleOutput output) => ToProto(output).ToByteArray();

    public static SampleResponseJson ToJson(SampleOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var sequences = output.Sequences
            .Select(s => new SampledSequenceJson(StopReasonName(s.StopReason), s.Tokens, s.Logprobs))
            .ToList();

        // JSON carries "undefined" as null rather than NaN.
        var promptLogprobs = output.PromptLogprobs?.Select(lp => float.IsNaN(lp) ? (float?)null : lp).ToList();
        var topk = output.TopkPromptLogprobs?
            .Select(row => row is null ? null : (IReadOnlyList<TopkEntryJson>)row.Select(c => new TopkEntryJson(c.Token, c.Logprob)).ToList())
            .ToList();
        return new SampleResponseJson(sequences, promptLogprobs, topk);
    }

    internal static SampleResponse ToProto(SampleOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var message = new SampleResponse();
        foreach (var sequence in output.Sequences)
        {
            var proto = new ProtoSampledSequence
            {
                StopReason = sequence.StopReason == AppStopReason.Length ? ProtoStopReason.Length : ProtoStopReason.Stop,
                Tokens = UnsafeByteOperations.UnsafeWrap(LittleEndianArrays.Write(sequence.Tokens)),
            };

            // Empty and absent both mean "no logprobs" to the SDK; leave the field unset then.
            if (sequence.Logprobs is { Length: > 0 })
            {
                proto.Logprobs = UnsafeByteOperations.UnsafeWrap(LittleEndianArrays.Write(sequence.Logprobs));
            }

            message.Sequences.Add(proto);
        }

        if (output.PromptLogprobs is not null)
        {
            message.PromptLogprobs = UnsafeByteOperations.UnsafeWrap(LittleEndianArrays.Write(output.PromptLogprobs));
        }

        if (output.TopkPromptLogprobs is not null)
        {
            message.TopkPromptLogprobs = ToTopk(output.TopkPromptLogprobs);
        }

        return message;
    }

    /// <summary>Row-major N×K matrices; K is the widest row, and missing cells hold the filler.</summary>
    private static TopkPromptLogprobs ToTopk(IReadOnlyList<IReadOnlyList<TokenLogprob>?> rows)
    {
        var k = rows.Select(row => row?.Count ?? 0).DefaultIfEmpty(0).Max();
        var tokens = new int[rows.Count * k];
        var logprobs = new float[rows.Count * k];
        Array.Fill(tokens, EmptyCellToken);
        Array.Fill(logprobs, EmptyCellLogprob);
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            for (var c = 0; c < (row?.Count ?? 0); c++)
            {
                tokens[(r * k) + c] = row![c].Token;
                logprobs[(r * k) + c] = row[c].Logprob;
            }
        }

        return new TopkPromptLogprobs
        {
            TokenIds = UnsafeByteOperations.UnsafeWrap(LittleEndianArrays.Write(tokens)),
            Logprobs = UnsafeByteOperations.UnsafeWrap(LittleEndianArrays.Write(logprobs)),
            K = (uint)k,
            PromptLength = (uint)rows.Count,
        };
    }

    private static string StopReasonName(AppStopReason reason) => reason == AppStopReason.Length ? "length" : "stop";
}

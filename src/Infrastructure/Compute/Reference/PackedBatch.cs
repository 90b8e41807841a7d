namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>Sequences packed back to back with no padding; positions restart at 0 in every sequence.</summary>
internal sealed class PackedBatch
{
    public PackedBatch(IReadOnlyList<int[]> sequences)
    {
        Starts = new int[sequences.Count];
        Lengths = new int[sequences.Count];
        var total = 0;
        for (var i = 0; i < sequences.Count; i++)
        {
            Starts[i] = total;
            Lengths[i] = sequences[i].Length;
            total += sequences[i].Length;
        }

        Tokens = new int[total];
        Positions = new int[total];
        for (var i = 0; i < sequences.Count; i++)
        {
            sequences[i].CopyTo(Tokens, Starts[i]);
            for (var p = 0; p < Lengths[i]; p++)
            {
                Positions[Starts[i] + p] = p;
            }
        }

        MaxLength = Lengths.Length == 0 ? 0 : Lengths.Max();
    }

    public int[] Tokens { get; }

    public int[] Positions { get; }

    public int[] Starts { get; }

    public int[] Lengths { get; }

    public int Count => Starts.Length;

    public int TotalTokens => Tokens.Length;

    public int MaxLength { get; }
}

/// <summary>d loss / d logprob for packed row <paramref name="row"/> whose target logprob is <paramref name="logprob"/>.</summary>
internal delegate float TokenGradient(int row, float logprob);

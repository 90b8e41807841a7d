namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>Folds an adapter into base weights: W' = W + scaling · B·A (for export and for checking the unmerged path).</summary>
internal static class LoraMerge
{
    public static Qwen3Weights Merge(Qwen3Weights w, LoraAdapter adapter)
    {
        var c = w.Config;
        var tensors = w.Tensors().ToDictionary(t => t.Name, t => t.Data, StringComparer.Ordinal);
        foreach (var m in adapter.Modules)
        {
            var name = m.Path + ".weight";
            var merged = (float[])tensors[name].Clone();
            for (var o = 0; o < m.Out; o++)
            {
                for (var i = 0; i < m.In; i++)
                {
                    double sum = 0;
                    for (var k = 0; k < m.Rank; k++)
                    {
                        sum += (double)m.B[(o * m.Rank) + k] * m.A[(k * m.In) + i];
                    }

                    merged[(o * m.In) + i] = (float)(merged[(o * m.In) + i] + (adapter.Settings.Scaling * sum));
                }
            }

            tensors[name] = merged;
        }

        return Qwen3Weights.FromTensors(c, name => tensors[name]);
    }
}

using TinkerServer.Infrastructure.Compute.Reference;
using TinkerServer.Infrastructure.Compute.Reference.Kernels;

namespace TinkerServer.Infrastructure.Tests.Compute;

public sealed class GemmTests
{
    private static float[] Random(int n, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian())];
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 7, 9)]
    [InlineData(67, 131, 45)]
    [InlineData(130, 66, 300)]
    public void All_forms_match_a_double_reference_on_odd_shapes(int m, int n, int k)
    {
        var x = Random(m * k, 1);
        var w = Random(n * k, 2);
        var b = Random(k * n, 3);
        var p = Random(k * m, 4);
        var initial = Random(m * n, 5);

        var nt = (float[])initial.Clone();
        Gemm.NT(x, 0, k, w, 0, k, nt, 0, n, m, n, k, alpha: 0.5f, accumulate: true);
        var nn = new float[m * n];
        Gemm.NN(x, 0, k, b, 0, n, nn, 0, n, m, n, k);
        var tn = new float[m * n];
        Gemm.TN(p, m, b, n, k, tn);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double dNt = 0, dNn = 0, dTn = 0;
                for (var t = 0; t < k; t++)
                {
                    dNt += (double)x[(i * k) + t] * w[(j * k) + t];
                    dNn += (double)x[(i * k) + t] * b[(t * n) + j];
                    dTn += (double)p[(t * m) + i] * b[(t * n) + j];
                }

                var tol = 1e-4 * Math.Sqrt(k) + 1e-5;
                ((double)nt[(i * n) + j]).Should().BeApproximately(initial[(i * n) + j] + (0.5 * dNt), tol);
                ((double)nn[(i * n) + j]).Should().BeApproximately(dNn, tol);
                ((double)tn[(i * n) + j]).Should().BeApproximately(dTn, tol);
            }
        }
    }

    [Fact]
    public void A_rows_result_does_not_depend_on_the_other_rows_or_threads()
    {
        const int n = 70, k = 133;
        var w = Random(n * k, 6);
        var x = Random(9 * k, 7);
        var all = new float[9 * n];
        Gemm.NT(x, 0, k, w, 0, k, all, 0, n, 9, n, k);
        var nn = new float[9 * n];
        var b = Random(k * n, 8);
        Gemm.NN(x, 0, k, b, 0, n, nn, 0, n, 9, n, k);
        for (var row = 0; row < 9; row++)
        {
            var single = new float[n];
            Gemm.NT(x, row * k, k, w, 0, k, single, 0, n, 1, n, k, parallel: false);
            single.Should().Equal(all.AsSpan(row * n, n).ToArray());
            var singleNn = new float[n];
            Gemm.NN(x, row * k, k, b, 0, n, singleNn, 0, n, 1, n, k, parallel: false);
            singleNn.Should().Equal(nn.AsSpan(row * n, n).ToArray());
        }
    }
}

// A forecaster: an LSTM over the last 24 values of a series, then a linear
// layer to the next value; MSE loss, Adam lr 3e-3. The demo series is the
// yearly sunspot numbers 1700-2008 that Debian's python3-statsmodels ships
// (scripts/setup.sh installs it).
//
//   nngc compile examples/lstm_forecast.mlir -o forecast
//   S=/usr/lib/python3/dist-packages/statsmodels/datasets/sunspots/sunspots.csv
//   ./forecast train --data $S --column SUNACTIVITY --epochs 200 --save fc.safetensors
//   ./forecast eval --checkpoint fc.safetensors --data $S --column SUNACTIVITY --horizon 11
//   ./forecast predict --checkpoint fc.safetensors --data $S --column SUNACTIVITY --horizon 11
//
// The trainer fills "window" with 24 consecutive values, standardised with
// the training part's mean and deviation, and "next" with the value after
// them; the last 20 % of the series is held out (--val-split). Forecasts
// beyond one step feed the model's own predictions back. Initialisers are
// PyTorch's defaults (nn.LSTM: uniform(-1/sqrt(32), 1/sqrt(32)); nn.Linear:
// kaiming_uniform(a = sqrt(5)) and uniform(-1/sqrt(32), 1/sqrt(32))).
nn.model @lstm_forecast {
  %window = nn.input "window" : tensor<16x24x1xf32>
  %next = nn.input "next" : tensor<16x1xf32>

  %w_ih = nn.param "rnn.weight_ih_l0" init(uniform, -0.17677669529663687, 0.17677669529663687) : tensor<128x1xf32>
  %w_hh = nn.param "rnn.weight_hh_l0" init(uniform, -0.17677669529663687, 0.17677669529663687) : tensor<128x32xf32>
  %b_ih = nn.param "rnn.bias_ih_l0" init(uniform, -0.17677669529663687, 0.17677669529663687) : tensor<128xf32>
  %b_hh = nn.param "rnn.bias_hh_l0" init(uniform, -0.17677669529663687, 0.17677669529663687) : tensor<128xf32>
  %head_w = nn.param "head.weight" init(kaiming_uniform, 2.23606797749979) : tensor<1x32xf32>
  %head_b = nn.param "head.bias" init(uniform, -0.17677669529663687, 0.17677669529663687) : tensor<1xf32>

  %h, %hn, %cn = nn.lstm %window weights(%w_ih, %w_hh, %b_ih, %b_hh) {batch_first}
      : tensor<16x24x1xf32> weights(tensor<128x1xf32>, tensor<128x32xf32>, tensor<128xf32>, tensor<128xf32>)
      -> tensor<16x24x32xf32>, tensor<1x16x32xf32>, tensor<1x16x32xf32>
  %last = nn.select %h {axis = 1, index = -1} : tensor<16x24x32xf32> -> tensor<16x32xf32>
  %pred = nn.linear %last, %head_w, %head_b : tensor<16x32xf32>, tensor<1x32xf32>, tensor<1xf32>
  %loss = nn.mse %pred, %next : tensor<16x1xf32>, tensor<16x1xf32>

  nn.output "forecast" %pred : tensor<16x1xf32>
  nn.minimize %loss with #nn.adam<lr = 3.0e-3>
}
